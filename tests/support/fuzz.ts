// Seeded random input for fuzz tests: the same seed gives the same cases, so a failure found once can be run again
// (FUZZ_SEED=<seed>). Values lean towards what breaks parsers and validators: wrong types, boundaries, lone
// surrogates, deep nesting, keys that collide with Object.prototype.

/** The seed of this run: FUZZ_SEED if set (a number, or "random" for a fresh one), else a fixed one. */
export function fuzzSeed(fallback = 20_260_728): number {
  const given = process.env.FUZZ_SEED;
  if (given === 'random') return Math.floor(Math.random() * 2 ** 32);
  if (given !== undefined && given !== '') {
    const seed = Number(given);
    if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32)
      throw new Error(`FUZZ_SEED must be an integer from 0 to 2^32-1 or "random", not ${given}`);
    return seed;
  }
  return fallback;
}

function scale(): number {
  const factor = Number(process.env.FUZZ_SCALE ?? 1);
  if (!(factor > 0)) throw new Error(`FUZZ_SCALE must be a positive number, not ${process.env.FUZZ_SCALE}`);
  return factor;
}

/** Case counts multiplied by FUZZ_SCALE (default 1), to search harder locally than the test suite does. */
export function scaled<T extends Record<string, number>>(counts: T): T {
  return Object.fromEntries(Object.entries(counts).map(([name, count]) => [name, Math.max(1, Math.round(count * scale()))])) as T;
}

/** A test's time limit, grown with FUZZ_SCALE like its cases (never below the given one). */
export function scaledTimeout(ms: number): number {
  return Math.round(ms * Math.max(1, scale()));
}

/** FNV-1a, to derive independent streams from one seed by name. */
function hash(text: string): number {
  let value = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    value ^= text.charCodeAt(index);
    value = Math.imul(value, 0x01000193) >>> 0;
  }
  return value;
}

/** mulberry32: tiny, fast and good enough to pick cases; not for anything secret. */
export class Rng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** A stream of its own for `label`: adding cases to one endpoint does not change another's. */
  fork(label: string): Rng {
    return new Rng((this.seed ^ hash(label)) >>> 0);
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.int(0, items.length - 1)]!;
  }

  /** Up to `max` distinct items, in random order. */
  some<T>(items: readonly T[], max = items.length): T[] {
    const copy = [...items];
    for (let index = copy.length - 1; index > 0; index--) {
      const other = this.int(0, index);
      [copy[index], copy[other]] = [copy[other]!, copy[index]!];
    }
    return copy.slice(0, this.int(0, Math.min(max, copy.length)));
  }
}

/** Strings that have broken software before: empty, huge, control and format characters, lone surrogates, injections. */
export const ODD_STRINGS: readonly string[] = [
  '',
  ' ',
  '\t\r\n',
  'a'.repeat(5000),
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff',
  'x\ud83dy',
  '\udc00\ud800',
  '😀',
  '😀'.repeat(2000),
  '日本語のファイル名',
  'e\u0301\u0301\u0301',
  '\u202eexe.txt',
  '\u200b',
  '\ufeff',
  '\uffff',
  '%',
  '%00',
  '%ff%fe',
  '%ED%A0%80',
  '+',
  '&=?#',
  '/',
  '//',
  '..',
  '../../../etc/passwd',
  '/Shared/../..',
  'C:\\Windows',
  '<script>alert(1)</script>',
  '"\'`',
  '\\',
  '${jndi:ldap://x}',
  '{{7*7}}',
  "' OR 1=1 --",
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'null',
  'undefined',
  'true',
  '0',
  '-1',
  '1e309',
  'NaN',
  'Infinity',
  '2026-02-30T25:61:00Z',
  '0000-00-00',
  '9999-12-31T23:59:59.999999999+14:00',
  'http://',
  'javascript:alert(1)',
  'http://127.0.0.1:4999/callback#frag',
  'http://[::1',
  'data:text/html,<b>x</b>',
];

/** Numbers at the edges: zero's sign, integer precision, float limits, negatives. */
export const ODD_NUMBERS: readonly number[] = [
  0,
  -0,
  1,
  -1,
  0.5,
  -0.5,
  2 ** 31,
  2 ** 31 - 1,
  -(2 ** 31),
  2 ** 53,
  2 ** 53 + 2,
  -(2 ** 53),
  2 ** 64,
  1e21,
  1e308,
  -1e308,
  5e-324,
  Number.MAX_SAFE_INTEGER,
];

export function oddString(rng: Rng): string {
  if (rng.chance(0.2)) return randomText(rng, rng.int(0, 40));
  return rng.pick(ODD_STRINGS);
}

/** Random code points, surrogate halves and controls included. */
export function randomText(rng: Rng, length: number): string {
  let text = '';
  for (let index = 0; index < length; index++) {
    const kind = rng.int(0, 9);
    const code = kind < 5 ? rng.int(0x20, 0x7e) : kind < 7 ? rng.int(0, 0x1f) : kind < 8 ? rng.int(0xd800, 0xdfff) : rng.int(0x80, 0xffff);
    text += String.fromCharCode(code);
  }
  return text;
}

/** A random JSON value; containers down to `depth` levels. */
export function randomJson(rng: Rng, depth = 3): unknown {
  const kind = rng.int(0, depth > 0 ? 7 : 5);
  switch (kind) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
      return rng.pick(ODD_NUMBERS);
    case 3:
      return rng.int(-1000, 1000);
    case 4:
    case 5:
      return oddString(rng);
    case 6:
      return Array.from({ length: rng.int(0, 4) }, () => randomJson(rng, depth - 1));
    default: {
      const object: Record<string, unknown> = {};
      for (let index = rng.int(0, 4); index > 0; index--) {
        const key = rng.chance(0.7) ? randomText(rng, rng.int(1, 8)) : oddString(rng);
        // An own "__proto__" key, as JSON.parse makes it, not a change of prototype.
        Object.defineProperty(object, key, { value: randomJson(rng, depth - 1), enumerable: true, writable: true, configurable: true });
      }
      return object;
    }
  }
}

/** JSON text nested `depth` levels deep, built as text so nothing recursive runs while making it. */
export function deeplyNestedJson(depth: number, kind: 'array' | 'object' = 'array'): string {
  return kind === 'array' ? `${'['.repeat(depth)}1${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** The JSON type name of a value, as JSON Schema names them. */
export function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

const ONE_OF_EACH_TYPE: readonly unknown[] = [null, true, false, 0, -1, 1.5, 1e308, 'text', '', [], ['a'], {}, { a: 1 }];

/** A value whose JSON type is none of `types` (a schema's declared types); any value when the types are unknown. */
export function wrongTypeValue(rng: Rng, types: readonly string[]): unknown {
  const declared = new Set(types);
  // An integer is a number too, as JSON Schema sees it.
  if (declared.has('number')) declared.add('integer');
  const candidates = ONE_OF_EACH_TYPE.filter((value) => !declared.has(jsonType(value)));
  return candidates.length > 0 ? rng.pick(candidates) : randomJson(rng, 1);
}
