// Random requests shaped like this app's traffic: JSON-RPC messages for every MCP method and every tool (arguments
// of the wrong type, of the right type with odd values, or missing), and the header variants MCP clients and
// proxies send. Used by the in-process fuzz test and by the pass against the real process.
import type { Tool as ListedTool } from '@modelcontextprotocol/server';
import { describeTools } from '../../src/mcp/server.js';
import { allTools } from '../../src/tools/index.js';
import type { Rng } from './fuzz.js';
import { ODD_NUMBERS, deeplyNestedJson, oddString, randomJson, randomText, wrongTypeValue } from './fuzz.js';

export const PROTOCOL_VERSIONS = ['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25', '2026-07-28'] as const;

type Schema = {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: Schema[];
  oneOf?: Schema[];
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
};

export interface ToolShape {
  name: string;
  properties: Record<string, Schema>;
  required: string[];
}

export const TOOL_SHAPES: readonly ToolShape[] = describeTools(allTools).map((tool: ListedTool) => {
  const schema = tool.inputSchema as Schema;
  return { name: tool.name, properties: schema.properties ?? {}, required: schema.required ?? [] };
});

function schemaTypes(schema: Schema): string[] {
  if (typeof schema.type === 'string') return [schema.type];
  if (Array.isArray(schema.type)) return schema.type;
  const alternatives = [...(schema.anyOf ?? []), ...(schema.oneOf ?? [])];
  if (alternatives.length > 0) return alternatives.flatMap(schemaTypes);
  const values = schema.enum ?? (schema.const !== undefined ? [schema.const] : []);
  return [
    ...new Set(
      values.map((value) =>
        typeof value === 'string' ? 'string' : typeof value === 'number' ? 'number' : typeof value === 'boolean' ? 'boolean' : 'null',
      ),
    ),
  ];
}

/** Strings tools take that lead somewhere real in the simulated Nextcloud, next to odd ones. */
const PLAUSIBLE_STRINGS = [
  '/',
  '/Documents',
  '/Plans',
  '/Plans/Roadmap.md',
  '/Shared',
  'personal',
  '2026-01-01T00:00:00Z',
  '2026-12-31',
  'Roadmap',
  'files',
  'alice',
  'general',
];

/** A value of the declared type (or one of the enum's), with odd contents. */
export function plausibleValue(rng: Rng, schema: Schema, depth = 2): unknown {
  const choices = schema.enum ?? (schema.const !== undefined ? [schema.const] : undefined);
  if (choices && choices.length > 0 && rng.chance(0.7)) return rng.pick(choices);
  const alternatives = [...(schema.anyOf ?? []), ...(schema.oneOf ?? [])];
  if (alternatives.length > 0) return plausibleValue(rng, rng.pick(alternatives), depth);
  switch (rng.pick(schemaTypes(schema).length > 0 ? schemaTypes(schema) : ['string'])) {
    case 'string':
      return rng.chance(0.5) ? rng.pick(PLAUSIBLE_STRINGS) : oddString(rng);
    case 'integer':
      return rng.chance(0.5) ? rng.int(-2, 300) : rng.pick(ODD_NUMBERS.filter(Number.isInteger));
    case 'number':
      return rng.pick(ODD_NUMBERS);
    case 'boolean':
      return rng.chance(0.5);
    case 'null':
      return null;
    case 'array':
      return depth <= 0 ? [] : Array.from({ length: rng.int(0, 3) }, () => plausibleValue(rng, schema.items ?? {}, depth - 1));
    case 'object':
      return depth <= 0
        ? {}
        : Object.fromEntries(
            Object.entries(schema.properties ?? {})
              .filter(() => rng.chance(0.6))
              .map(([key, inner]) => [key, plausibleValue(rng, inner, depth - 1)]),
          );
    default:
      return randomJson(rng, 1);
  }
}

/** Arguments of the right type for all but `name`, which gets a value of another type. */
export function argumentsWithWrongType(rng: Rng, tool: ToolShape, name: string): Record<string, unknown> {
  const args = Object.fromEntries(Object.entries(tool.properties).map(([key, schema]) => [key, plausibleValue(rng, schema)]));
  args[name] = wrongTypeValue(rng, schemaTypes(tool.properties[name] ?? {}));
  return args;
}

/** The arguments of one tools/call: not an object, some wrong in type, all of the right type, or extras. */
export function toolArguments(rng: Rng, tool: ToolShape): unknown {
  const names = Object.keys(tool.properties);
  const valid = () =>
    Object.fromEntries(
      names
        .filter((name) => tool.required.includes(name) || rng.chance(0.5))
        .map((name) => [name, plausibleValue(rng, tool.properties[name]!)]),
    );
  switch (rng.int(0, 6)) {
    case 0:
      return rng.pick([null, [], 'arguments', 1, true, [{}]]);
    case 1: {
      const args = valid();
      if (names.length > 0) {
        const name = rng.pick(names);
        args[name] = wrongTypeValue(rng, schemaTypes(tool.properties[name]!));
      }
      return args;
    }
    case 2:
      return Object.fromEntries(names.map((name) => [name, wrongTypeValue(rng, schemaTypes(tool.properties[name]!))]));
    case 3: {
      const args = valid();
      for (const name of rng.some(tool.required)) delete args[name];
      return args;
    }
    case 4: {
      // Own keys named like Object.prototype's, as JSON.parse makes them.
      const args = valid();
      for (const [key, value] of [
        ['__proto__', { isAdmin: true }],
        ['constructor', { prototype: { x: 1 } }],
      ] as const) {
        Object.defineProperty(args, key, { value, enumerable: true, writable: true, configurable: true });
      }
      return args;
    }
    default:
      return valid();
  }
}

/** A JSON-RPC id: mostly ordinary, sometimes one a server should still echo or refuse cleanly. */
export function rpcId(rng: Rng): unknown {
  if (rng.chance(0.7)) return rng.int(1, 1_000_000);
  return rng.pick<unknown>([
    0,
    -1,
    1.5,
    2 ** 53 + 2,
    1e308,
    '',
    'id',
    '😀',
    '\ud800',
    'x'.repeat(10_000),
    null,
    true,
    [],
    {},
    [1],
    { id: 1 },
  ]);
}

/** The 2026-07-28 per-request envelope, sometimes broken. */
function envelope(rng: Rng): Record<string, unknown> {
  const meta: Record<string, unknown> = {
    'io.modelcontextprotocol/protocolVersion': rng.chance(0.8) ? '2026-07-28' : randomJson(rng, 1),
    'io.modelcontextprotocol/clientInfo': rng.chance(0.8) ? { name: 'fuzz', version: '1' } : randomJson(rng, 1),
    'io.modelcontextprotocol/clientCapabilities': rng.chance(0.8) ? {} : randomJson(rng, 1),
  };
  for (const key of rng.some(Object.keys(meta), 1)) delete meta[key];
  return meta;
}

const METHODS = [
  'initialize',
  'notifications/initialized',
  'ping',
  'tools/list',
  'tools/call',
  'tools/call',
  'tools/call',
  'tools/call',
  'server/discover',
  'subscriptions/listen',
  'resources/list',
  'resources/read',
  'prompts/list',
  'prompts/get',
  'logging/setLevel',
  'completion/complete',
  'notifications/cancelled',
  'notifications/progress',
  'notifications/roots/list_changed',
  'sampling/createMessage',
] as const;

/**
 * One JSON-RPC message of any method the app may see (or of `method`); `version` is the protocol era the message
 * pretends to speak.
 */
export function rpcMessage(
  rng: Rng,
  version: string,
  method: string = rng.chance(0.05) ? oddString(rng) : rng.pick(METHODS),
): Record<string, unknown> {
  let params: Record<string, unknown> = {};
  switch (method) {
    case 'initialize':
      params = {
        protocolVersion: rng.chance(0.8) ? version : oddString(rng),
        capabilities: rng.chance(0.9) ? {} : randomJson(rng, 2),
        clientInfo: rng.chance(0.9) ? { name: 'fuzz', version: '1' } : randomJson(rng, 1),
      };
      break;
    case 'tools/call': {
      const tool = rng.pick(TOOL_SHAPES);
      params = {
        name: rng.chance(0.9)
          ? tool.name
          : rng.pick<unknown>(['', 'format_disk', '__proto__', 'WHOAMI', 'whoami\u0000', 1, null, ['whoami'], {}]),
        arguments: toolArguments(rng, tool),
      };
      if (rng.chance(0.2)) params._meta = { progressToken: rng.pick<unknown>(['p', 1, 1.5, null, {}, 'x'.repeat(1000)]) };
      break;
    }
    case 'tools/list':
      if (rng.chance(0.3)) params = { cursor: rng.chance(0.5) ? oddString(rng) : randomJson(rng, 1) };
      break;
    case 'logging/setLevel':
      params = { level: rng.chance(0.5) ? 'debug' : oddString(rng) };
      break;
    case 'notifications/cancelled':
      params = { requestId: rpcId(rng), reason: oddString(rng) };
      break;
    case 'notifications/progress':
      params = { progressToken: randomJson(rng, 0), progress: rng.pick(ODD_NUMBERS) };
      break;
    case 'subscriptions/listen':
      params = { notifications: rng.chance(0.7) ? { toolsListChanged: true } : randomJson(rng, 2) };
      break;
    default:
      if (rng.chance(0.3)) params = randomJson(rng, 2) as Record<string, unknown>;
  }
  if (version === '2026-07-28' && params && typeof params === 'object' && !Array.isArray(params) && rng.chance(0.8)) {
    params = { ...params, _meta: { ...(params._meta as object | undefined), ...envelope(rng) } };
  }
  const message: Record<string, unknown> = { jsonrpc: '2.0', method };
  if (!method.startsWith('notifications/') || rng.chance(0.1)) message.id = rpcId(rng);
  if (rng.chance(0.95)) message.params = params;
  return mutateMessage(rng, message);
}

/** Breaks the envelope of a message now and then: version, method or params of the wrong type, extra members. */
function mutateMessage(rng: Rng, message: Record<string, unknown>): Record<string, unknown> {
  if (!rng.chance(0.1)) return message;
  const copy = { ...message };
  switch (rng.int(0, 6)) {
    case 0:
      copy.jsonrpc = rng.pick<unknown>([undefined, '1.0', '2.1', 2, null, '']);
      break;
    case 1:
      copy.method = wrongTypeValue(rng, ['string']);
      break;
    case 2:
      copy.params = wrongTypeValue(rng, ['object']);
      break;
    case 3:
      copy.result = randomJson(rng, 1);
      break;
    case 4:
      copy.error = { code: rng.pick(ODD_NUMBERS), message: oddString(rng) };
      break;
    case 5:
      delete copy.method;
      break;
    default:
      copy[oddString(rng)] = randomJson(rng, 1);
  }
  return copy;
}

/** A body for POST /mcp (or /messages): one message, a batch, or text that is not quite JSON-RPC. */
export function mcpBody(rng: Rng, version: string): string {
  const roll = rng.next();
  if (roll < 0.65) return JSON.stringify(rpcMessage(rng, version));
  if (roll < 0.8) {
    const batch: unknown[] = Array.from({ length: rng.int(0, 5) }, () =>
      rng.chance(0.97) ? rpcMessage(rng, version) : randomJson(rng, 1),
    );
    // The same id twice in one batch.
    const [first, second] = batch as Array<Record<string, unknown>>;
    if (first && second && typeof first === 'object' && typeof second === 'object' && !Array.isArray(second) && rng.chance(0.4))
      second.id = first.id;
    return JSON.stringify(batch);
  }
  const valid = JSON.stringify(rpcMessage(rng, version));
  return rng.pick<() => string>([
    () => '',
    () => ' ',
    () => valid.slice(0, rng.int(0, valid.length - 1)),
    () => `\ufeff${valid}`,
    () => `${valid}${valid}`,
    () => `${valid}\n[]`,
    () => randomText(rng, rng.int(1, 200)),
    () => rng.pick(['null', 'true', '1', '"x"', '[]', '[[]]', '{}', '[{}]', '[null]', '1e999', '-0']),
    () => '{"jsonrpc":"2.0","id":1e999,"method":"ping"}',
    () => '{"jsonrpc":"2.0","id":123456789012345678901234567890,"method":"tools/list"}',
    () => '{"jsonrpc":"2.0","id":1,"id":2,"method":"ping","method":"tools/list"}',
    () => '{"jsonrpc":"2.0","id":"\\ud800","method":"tools/call","params":{"name":"files_read","arguments":{"path":"/\\udfff\\ud800"}}}',
    () =>
      `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"${rng.pick(TOOL_SHAPES).name}","arguments":${deeplyNestedJson(rng.pick([100, 1000, 10_000, 100_000]), rng.chance(0.5) ? 'array' : 'object')}}}`,
    () => `{"jsonrpc":"2.0","id":1,"method":"initialize","params":${deeplyNestedJson(rng.pick([1000, 50_000]), 'object')}}`,
    () => `[${Array.from({ length: rng.pick([100, 1000]) }, (_, index) => `{"jsonrpc":"2.0","id":${index},"method":"ping"}`).join(',')}]`,
    () =>
      JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'files_write_text', arguments: { path: '/big.txt', content: 'x'.repeat(rng.pick([100_000, 3_000_000])) } },
      }),
  ])();
}

/** Only what an HTTP header can carry: bytes, as latin1, without the controls Node's parser refuses. */
export function headerValue(text: string): string {
  return Buffer.from(text, 'utf8')
    .toString('latin1')
    .replace(/[\x00-\x08\x0a-\x1f\x7f]/g, '')
    .trim();
}

/** Percent-encoding of every UTF-8 byte that is not unreserved (lone surrogates become U+FFFD, as in a browser). */
export function percentEncode(text: string): string {
  let encoded = '';
  for (const byte of Buffer.from(text, 'utf8'))
    encoded += /[A-Za-z0-9\-._~]/.test(String.fromCharCode(byte))
      ? String.fromCharCode(byte)
      : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  return encoded;
}

/** A query value as a client would write it, or now and then a broken or unusual percent-encoding. */
export function queryValue(rng: Rng, text: string): string {
  if (rng.chance(0.85)) return percentEncode(text);
  return rng.pick(['%', '%zz', '%ED%A0%80', '%C0%AF', '%FF%FE', '%00', '%2', '+%2B+', `${percentEncode(text)}%`, '%F0%9F%98']);
}

/** A query string from pairs, in order, repeats kept. */
export function queryString(rng: Rng, pairs: Array<[string, string]>): string {
  return pairs.map(([key, value]) => `${percentEncode(key)}=${queryValue(rng, value)}`).join('&');
}

/**
 * The headers an MCP client sends around a body: as a well-behaved client sends them (`clean`), or varied in content
 * type, Accept, protocol version and method.
 */
export function mcpHeaders(rng: Rng, version: string, method?: string, clean = false): Record<string, string> {
  if (clean) {
    return {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(version === '2024-11-05' ? {} : { 'mcp-protocol-version': version }),
      ...(version === '2026-07-28' && method ? { 'mcp-method': headerValue(method) } : {}),
    };
  }
  const headers: Record<string, string> = {};
  const type = rng.chance(0.85)
    ? 'application/json'
    : rng.pick([
        '',
        'text/plain',
        'application/json; charset=utf-8',
        'application/json; charset=latin1',
        'application/json; charset=utf-16',
        'APPLICATION/JSON',
        'application/json;;',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/jsonx',
        '*/*',
        'application/json, text/plain',
        headerValue(oddString(rng)),
      ]);
  if (type) headers['content-type'] = type;
  const accept = rng.chance(0.75)
    ? 'application/json, text/event-stream'
    : rng.pick([
        '',
        'application/json',
        'text/event-stream',
        '*/*',
        'text/html',
        'application/json;q=0, text/event-stream;q=0',
        headerValue(oddString(rng)),
      ]);
  if (accept) headers.accept = accept;
  if (rng.chance(0.8))
    headers['mcp-protocol-version'] = rng.chance(0.85)
      ? version
      : rng.pick(['', '2025-13-45', '1.0', 'latest', headerValue(oddString(rng)), ...PROTOCOL_VERSIONS]);
  if (version === '2026-07-28' && rng.chance(0.7))
    headers['mcp-method'] = headerValue(rng.chance(0.85) && method ? method : oddString(rng));
  return Object.fromEntries(Object.entries(headers).filter(([, value]) => value !== ''));
}
