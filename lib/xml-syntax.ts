// XML's lexical rules as the multistatus reader (xml-reader.ts) checks them: which characters make a name, which
// references exist, which namespaces are reserved, how an element name resolves through the prefixes in scope, and
// the two ways an answer is refused. Apart from the reader so that the rules it consults on every character can be
// checked against the XML specification on their own.

export const XML_NS = 'http://www.w3.org/XML/1998/namespace';
export const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';

/** Prefixes bound in an element, its parent's bindings as the prototype. */
export type Scope = Record<string, string>;
export const ROOT_SCOPE: Scope = Object.assign(Object.create(null) as Scope, { xml: XML_NS });

export const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d;
/** ASCII characters by what they may be in an XML name: 1 its first character (or any), 2 any but the first. */
const ASCII_NAME = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c === 0x3a) ASCII_NAME[c] = 1;
  else if ((c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e) ASCII_NAME[c] = 2;
}
/** XML NameStartChar, with every non-ASCII letter range taken as one (U+00C0 up; surrogates pair up there). */
export const isNameStart = (c: number) =>
  c < 0x80 ? ASCII_NAME[c] === 1 : c >= 0xc0 && c !== 0xd7 && c !== 0xf7 && c !== 0xfffe && c !== 0xffff;
export const isNameChar = (c: number) =>
  c < 0x80 ? ASCII_NAME[c] !== 0 : c === 0xb7 || (c >= 0xc0 && c !== 0xd7 && c !== 0xf7 && c !== 0xfffe && c !== 0xffff);

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** A character XML allows (Char production). */
const isXmlChar = (code: number) =>
  code === 0x9 ||
  code === 0xa ||
  code === 0xd ||
  (code >= 0x20 && code <= 0xd7ff) ||
  (code >= 0xe000 && code <= 0xfffd) ||
  (code >= 0x10000 && code <= 0x10ffff);

export class Malformed extends Error {
  constructor(
    readonly what: string,
    /** Where in the buffer, or -1 for the end of the answer. */
    readonly at: number,
  ) {
    super(what);
  }
}

/** Something other than malformed XML: an HTML page, another document, an empty body. */
export class NotMultistatus extends Error {}

/** Replaces entity and character references; only the five predefined entities exist (no DTD is accepted). */
export function decodeReferences(raw: string, offset: number): string {
  let out = '';
  let from = 0;
  for (let amp = raw.indexOf('&'); amp !== -1; amp = raw.indexOf('&', from)) {
    const semi = raw.indexOf(';', amp + 1);
    if (semi === -1 || semi - amp > 12) throw new Malformed('an "&" that starts no entity or character reference', offset + amp);
    const name = raw.slice(amp + 1, semi);
    let value: string | undefined;
    if (name.charCodeAt(0) === 0x23) {
      const hex = name.charCodeAt(1) === 0x78;
      const digits = name.slice(hex ? 2 : 1);
      const code = (hex ? /^[0-9a-fA-F]+$/ : /^[0-9]+$/).test(digits) ? Number.parseInt(digits, hex ? 16 : 10) : Number.NaN;
      if (!isXmlChar(code)) throw new Malformed(`the character reference &${name}; names no XML character`, offset + amp);
      value = String.fromCodePoint(code);
    } else {
      value = PREDEFINED[name];
      if (value === undefined)
        throw new Malformed(
          `the entity &${name.slice(0, 40)}; is not defined (only &lt; &gt; &amp; &quot; &apos; exist without a DTD)`,
          offset + amp,
        );
    }
    out += raw.slice(from, amp) + value;
    from = semi + 1;
  }
  return from === 0 ? raw : out + raw.slice(from);
}

/** An element name as seen in the document, and what it resolved to (the reader's Name) in the scopes it appeared in. */
export interface KnownName<Name> {
  name: string;
  /** Its characters, for comparing with the text of a tag. */
  codes: Uint16Array;
  /** The first scope it appeared in (nearly always the only one), and its resolution there. */
  scope: Scope | undefined;
  resolved: Name | undefined;
  others: WeakMap<Scope, Name> | undefined;
}

/** Whether `s` holds `name` at `at`. */
export function sameAt(s: string, at: number, codes: Uint16Array): boolean {
  for (let k = 0; k < codes.length; k++) if (s.charCodeAt(at + k) !== codes[k]) return false;
  return true;
}

export function looksLikeHtml(start: string): boolean {
  return /^\s*(<!--[\s\S]*?-->\s*)*<(!doctype\s+html|html[\s>])/i.test(start);
}

/**
 * The element names of one document, each with what it resolves to in the scopes it appeared in; `named` says what
 * a resolved name is to the reader.
 */
export class NameTable<Name> {
  private readonly known = new Map<number, Array<KnownName<Name>>>();

  constructor(private readonly named: (ns: string, local: string, clark: string) => Name) {}

  /**
   * The element name at s[from, to), from the names already seen: a document repeats a few dozen names thousands
   * of times, and comparing characters costs less than cutting out and hashing a new string for each tag.
   */
  knownName(s: string, from: number, to: number): KnownName<Name> {
    const length = to - from;
    const key = length * 0x10000 + s.charCodeAt(to - 1);
    let bucket = this.known.get(key);
    if (bucket) {
      for (const candidate of bucket) if (sameAt(s, from, candidate.codes)) return candidate;
    } else {
      this.known.set(key, (bucket = []));
    }
    for (let k = from + 1; k < to; k++)
      if (!isNameChar(s.charCodeAt(k))) throw new Malformed(`a malformed name in the tag <${s.slice(from, Math.min(to, from + 60))}>`, k);
    const codes = new Uint16Array(length);
    for (let k = 0; k < length; k++) codes[k] = s.charCodeAt(from + k);
    const created: KnownName<Name> = { name: s.slice(from, to), codes, scope: undefined, resolved: undefined, others: undefined };
    // A document that keeps inventing names gets no more room here; its names are still read, just not remembered.
    if (this.known.size < 1024 && bucket.length < 16) bucket.push(created);
    return created;
  }

  /** The namespace and local name of an element name in a scope; remembered per scope, as few scopes exist. */
  resolve(known: KnownName<Name>, scope: Scope, at: number): Name {
    if (known.scope === scope) return known.resolved!;
    const cached = known.others?.get(scope);
    if (cached) return cached;
    const name = known.name;
    const colon = name.indexOf(':');
    let ns: string | undefined;
    let local = name;
    if (colon === -1) {
      ns = scope[''] ?? '';
    } else {
      if (colon === 0 || !isNameStart(name.charCodeAt(colon + 1)) || name.indexOf(':', colon + 1) !== -1)
        throw new Malformed(`the malformed name <${name}>`, at);
      ns = scope[name.slice(0, colon)];
      if (ns === undefined) throw new Malformed(`the prefix of <${name}> is not bound to a namespace`, at);
      local = name.slice(colon + 1);
    }
    const key = `{${ns}}${local}`;
    const resolved = this.named(ns, local, key);
    if (known.scope === undefined) {
      known.scope = scope;
      known.resolved = resolved;
    } else {
      (known.others ??= new WeakMap()).set(scope, resolved);
    }
    return resolved;
  }
}
