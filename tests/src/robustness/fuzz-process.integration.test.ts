// A short seeded pass against the real app process, for what inject cannot show: bytes no HTTP client would send
// (malformed request lines, raw and invalid UTF-8 in headers, broken chunked bodies, oversized heads), clients that
// vanish mid-request or mid-answer, and whether the process survives all of it. Every answer must be below 500,
// and afterwards the process must still run and answer its heartbeat.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deployment } from '../../support/deployment.js';
import { deploy } from '../../support/deployment.js';
import type { Rng } from '../../support/fuzz.js';
import { Rng as SeededRng, fuzzSeed, oddString, scaled, scaledTimeout } from '../../support/fuzz.js';
import { PROTOCOL_VERSIONS, mcpBody, mcpHeaders } from '../../support/fuzz-requests.js';
import { rawOAuth } from '../../support/oauth-raw.js';
import { rawExchange, requestHead } from '../../support/raw-http.js';

const seed = fuzzSeed();
const root = new SeededRng(seed);
const { CASES } = scaled({ CASES: 300 });
/** Cases in flight at once; each waits at most WAIT_MS for the app to answer and close. */
const PARALLEL = 8;
const WAIT_MS = 3000;
/** An answer followed by this much silence is complete enough to judge (some keep the connection alive). */
const QUIET_MS = 500;

interface RawCase {
  title: string;
  bytes: Buffer;
  /** Close our side right after sending, as a client that gives up would. */
  abort?: boolean;
}

let deployment: Deployment;
const oauth = rawOAuth(() => deployment);
let mcpToken = '';
let sseToken = '';
/** A 2025 session opened on the app directly (no PHP proxy in between), so its standalone stream may be opened. */
let sessionId = '';

beforeAll(async () => {
  deployment = await deploy('php');
  mcpToken = (await oauth.exchange(await oauth.obtainCode('alice', 'files.read files.write calendar.read talk.read'))).body.access_token!;
  const sse = await oauth.obtainCode('alice', 'files.read', `${deployment.base}/sse`);
  sseToken = (await oauth.exchange(sse, { resource: `${deployment.base}/sse` })).body.access_token!;
  expect(mcpToken).toBeTruthy();
  expect(sseToken).toBeTruthy();
  const init = await fetch(`http://127.0.0.1:${deployment.app.port}/mcp`, {
    method: 'POST',
    headers: {
      ...Object.fromEntries(signedHeaders().slice(1)),
      authorization: `Bearer ${mcpToken}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'fuzz', version: '1' } },
    }),
  });
  await init.text();
  sessionId = init.headers.get('mcp-session-id') ?? '';
  expect(sessionId).not.toBe('');
}, 60_000);
afterAll(() => deployment?.stop());

const CRLF = '\r\n';

function signedHeaders(user = 'alice'): Array<[string, string]> {
  return [
    ['host', `127.0.0.1:${deployment.app.port}`],
    ['ex-app-id', 'mcp_gateway'],
    ['ex-app-version', deployment.app.version],
    ['authorization-app-api', Buffer.from(`${user}:${deployment.app.secret}`).toString('base64')],
    ['aa-version', '35.0.0'],
  ];
}

function request(method: string, target: string, headers: Array<[string, string]>, body?: string | Buffer): Buffer {
  const content = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
  const head = requestHead(method, target, [
    ...headers,
    ['connection', 'close'],
    ...(content ? ([['content-length', String(content.length)]] as Array<[string, string]>) : []),
  ]);
  return Buffer.concat([Buffer.from(head, 'latin1'), content ?? Buffer.alloc(0)]);
}

/** Header value bytes as they travel: UTF-8 of the text, or bytes that are not UTF-8 at all. */
function rawValue(rng: Rng): Buffer {
  return rng.pick([
    () => Buffer.from(oddString(rng).replace(/[\r\n\0]/g, ''), 'utf8'),
    () => Buffer.from([0xed, 0xa0, 0x80]),
    () => Buffer.from([0xff, 0xfe, 0xfd]),
    () => Buffer.from([0xc0, 0xaf]),
    () => Buffer.from([0xe2, 0x82]),
    () => Buffer.from('caf\u00e9', 'latin1'),
  ])();
}

const bearer = (token: string): Array<[string, string]> => [['authorization', `Bearer ${token}`]];
const mcpPost = (headers: Array<[string, string]> = []): Array<[string, string]> => [
  ...signedHeaders(),
  ...bearer(mcpToken),
  ['content-type', 'application/json'],
  ['accept', 'application/json, text/event-stream'],
  ...headers,
];

/** One case of bytes on the wire. */
function rawCase(rng: Rng): RawCase {
  const ping = '{"jsonrpc":"2.0","id":1,"method":"ping"}';
  const make = rng.pick<() => RawCase>([
    () => ({
      title: 'malformed request line',
      bytes: Buffer.from(
        rng.pick([
          'GET\r\n\r\n',
          'GET / HTTP/9.9\r\n\r\n',
          'G ET / HTTP/1.1\r\n\r\n',
          '/ HTTP/1.1\r\n\r\n',
          '\r\n\r\n\r\n',
          'GET  /heartbeat  HTTP/1.1\r\n\r\n',
          'GET /heartbeat HTTP/1.1 extra\r\nhost: x\r\n\r\n',
          'OPTIONS * HTTP/1.1\r\nhost: x\r\n\r\n',
          'CONNECT 127.0.0.1:1 HTTP/1.1\r\nhost: x\r\n\r\n',
          'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
          '\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03',
        ]),
        'latin1',
      ),
    }),
    () => ({
      title: 'absolute-form and odd targets',
      bytes: request(
        rng.pick(['GET', 'POST', 'TRACE', 'PROPFIND', 'BREW']),
        rng.pick([
          'http://evil.example/mcp',
          '//mcp',
          '/mcp/../mcp',
          '/%',
          '/%00',
          '/mcp?sessionId=%ED%A0%80',
          `/${'a'.repeat(9000)}`,
          '/mcp#x',
          '/messages?sessionId=x&sessionId=y',
        ]),
        signedHeaders(),
      ),
    }),
    () => {
      const name = rng.pick([
        'authorization',
        'mcp-session-id',
        'authorization-app-api',
        'content-type',
        'accept',
        'mcp-protocol-version',
        'ex-app-id',
        'origin',
        'x-origin-ip',
        'cookie',
        'aa-request-id',
        'host',
      ]);
      const head = Buffer.from(
        `POST /mcp HTTP/1.1${CRLF}${mcpPost()
          .filter(([header]) => header !== name)
          .map(([header, value]) => `${header}: ${value}${CRLF}`)
          .join('')}connection: close${CRLF}content-length: ${ping.length}${CRLF}${name}: `,
        'latin1',
      );
      return { title: `raw bytes in ${name}`, bytes: Buffer.concat([head, rawValue(rng), Buffer.from(`${CRLF}${CRLF}${ping}`, 'latin1')]) };
    },
    () => ({
      title: 'raw bytes in the path',
      bytes: Buffer.concat([
        Buffer.from('GET /', 'latin1'),
        rawValue(rng),
        Buffer.from(
          ` HTTP/1.1${CRLF}${signedHeaders()
            .map(([h, v]) => `${h}: ${v}${CRLF}`)
            .join('')}connection: close${CRLF}${CRLF}`,
          'latin1',
        ),
      ]),
    }),
    () => ({
      title: 'invalid UTF-8 in a JSON body',
      bytes: request(
        'POST',
        '/mcp',
        mcpPost(),
        Buffer.concat([
          Buffer.from('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"files_read","arguments":{"path":"/'),
          rawValue(rng),
          Buffer.from('"}}}'),
        ]),
      ),
    }),
    () => ({
      title: 'UTF-16 body',
      bytes: request(
        'POST',
        '/mcp',
        mcpPost([['content-type', 'application/json; charset=utf-16le']]),
        Buffer.from(`\ufeff${ping}`, 'utf16le'),
      ),
    }),
    () => ({
      title: 'header without colon, obs-fold, space before colon',
      bytes: Buffer.from(
        `GET /heartbeat HTTP/1.1${CRLF}host: x${CRLF}${rng.pick(['no-colon-here', ' folded: value', 'x-a : b', 'x-a:\tb', ': empty-name', 'x\u0001y: z'])}${CRLF}connection: close${CRLF}${CRLF}`,
        'latin1',
      ),
    }),
    () => ({
      title: 'oversized head',
      bytes: request('GET', '/heartbeat', [
        ['host', 'x'],
        ...Array.from({ length: rng.pick([1, 150]) }, (_, index): [string, string] => [
          `x-filler-${index}`,
          'v'.repeat(rng.pick([200, 20_000])),
        ]),
      ]),
    }),
    () => ({
      title: 'conflicting Content-Length',
      bytes: Buffer.from(
        `POST /mcp HTTP/1.1${CRLF}${mcpPost()
          .map(([h, v]) => `${h}: ${v}${CRLF}`)
          .join(
            '',
          )}content-length: ${ping.length}${CRLF}content-length: ${rng.pick(['5', '-1', 'abc', '99999999999999999999', ` ${ping.length}`])}${CRLF}connection: close${CRLF}${CRLF}${ping}`,
        'latin1',
      ),
    }),
    () => ({
      title: 'Content-Length and Transfer-Encoding together',
      bytes: Buffer.from(
        `POST /mcp HTTP/1.1${CRLF}${mcpPost()
          .map(([h, v]) => `${h}: ${v}${CRLF}`)
          .join(
            '',
          )}content-length: 4${CRLF}transfer-encoding: chunked${CRLF}connection: close${CRLF}${CRLF}${ping.length.toString(16)}${CRLF}${ping}${CRLF}0${CRLF}${CRLF}`,
        'latin1',
      ),
    }),
    () => ({
      title: 'broken chunked body',
      bytes: Buffer.from(
        `POST /mcp HTTP/1.1${CRLF}${mcpPost()
          .map(([h, v]) => `${h}: ${v}${CRLF}`)
          .join(
            '',
          )}transfer-encoding: ${rng.pick(['chunked', 'chunked, gzip', 'gzip, chunked', 'identity'])}${CRLF}connection: close${CRLF}${CRLF}${rng.pick([`zz${CRLF}${ping}${CRLF}0${CRLF}${CRLF}`, `${ping.length.toString(16)};ext=1${CRLF}${ping}${CRLF}0${CRLF}x-trailer: 1${CRLF}${CRLF}`, `ffffffffffffffff${CRLF}${ping}`, `5${CRLF}${ping}${CRLF}0${CRLF}${CRLF}`, `-1${CRLF}${CRLF}`])}`,
        'latin1',
      ),
    }),
    () => ({
      title: 'Expect: 100-continue',
      bytes: request('POST', '/mcp', mcpPost([['expect', rng.pick(['100-continue', '200-ok'])]]), ping),
    }),
    () => ({
      title: 'HTTP/1.0 keep-alive',
      bytes: Buffer.from(
        `GET /heartbeat HTTP/1.0${CRLF}connection: keep-alive${CRLF}${CRLF}GET /heartbeat HTTP/1.0${CRLF}${CRLF}`,
        'latin1',
      ),
    }),
    () => {
      const count = rng.int(2, 12);
      const one = (last: boolean) =>
        requestHead('POST', '/mcp', [
          ...mcpPost(),
          ...(last ? ([['connection', 'close']] as Array<[string, string]>) : []),
          ['content-length', String(ping.length)],
        ]) + ping;
      return {
        title: 'pipelined requests',
        bytes: Buffer.from(Array.from({ length: count }, (_, index) => one(index === count - 1)).join(''), 'latin1'),
      };
    },
    () => ({
      title: 'client gone mid-body',
      bytes: Buffer.from(requestHead('POST', '/mcp', [...mcpPost(), ['content-length', '1000']]) + ping, 'latin1'),
      abort: true,
    }),
    () => ({
      title: 'client gone during a tool call',
      bytes: request(
        'POST',
        '/mcp',
        mcpPost([['mcp-protocol-version', '2025-11-25']]),
        JSON.stringify({
          jsonrpc: '2.0',
          id: 7,
          method: 'tools/call',
          params: {
            name: rng.pick(['whoami', 'files_list', 'search', 'talk_list_conversations']),
            arguments: {},
            _meta: { progressToken: 'p' },
          },
        }),
      ),
      abort: true,
    }),
    () => ({
      title: 'client gone from the legacy event stream',
      bytes: request('GET', '/sse', [...signedHeaders(), ...bearer(sseToken), ['accept', 'text/event-stream']]),
      abort: true,
    }),
    () => ({
      title: "client gone from a session's standalone stream",
      bytes: request('GET', '/mcp', [
        ...signedHeaders(),
        ...bearer(mcpToken),
        ['accept', 'text/event-stream'],
        ['mcp-session-id', sessionId],
        ['mcp-protocol-version', '2025-11-25'],
      ]),
      abort: true,
    }),
    () => ({
      title: 'client gone during a tool call in a session',
      bytes: request(
        'POST',
        '/mcp',
        mcpPost([
          ['mcp-session-id', sessionId],
          ['mcp-protocol-version', '2025-11-25'],
        ]),
        JSON.stringify({
          jsonrpc: '2.0',
          id: rng.int(100, 1e6),
          method: 'tools/call',
          params: { name: rng.pick(['whoami', 'files_list', 'talk_list_conversations']), arguments: {} },
        }),
      ),
      abort: rng.chance(0.7),
    }),
    () => {
      const version = rng.pick(PROTOCOL_VERSIONS);
      const body = mcpBody(rng, version);
      const headers = Object.entries(mcpHeaders(rng, version)) as Array<[string, string]>;
      return {
        title: `mcp body ${body.slice(0, 160)}`,
        bytes: request(
          'POST',
          rng.chance(0.9) ? '/mcp' : '/messages?sessionId=x',
          [
            ...signedHeaders(rng.pick(['alice', ''])),
            ...bearer(rng.chance(0.9) ? mcpToken : sseToken),
            ...(rng.chance(0.5) ? ([['x-origin-ip', '203.0.113.7']] as Array<[string, string]>) : []),
            ...headers,
          ],
          body,
        ),
      };
    },
    () => {
      const depth = rng.pick([100, 1000, 5000, 50_000]);
      return {
        title: `mcp body nested ${depth} deep`,
        bytes: request(
          'POST',
          '/mcp',
          mcpPost(),
          `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami","arguments":{"a":${'['.repeat(depth)}${']'.repeat(depth)}}}}`,
        ),
      };
    },
  ]);
  return make();
}

describe(`the real process under malformed and abandoned requests (seed ${seed})`, () => {
  it(
    'answers none of them with a 5xx, and keeps running',
    async () => {
      const rng = root.fork('process');
      const cases = Array.from({ length: CASES }, () => rawCase(rng));
      const failures: string[] = [];
      let next = 0;
      // A pool rather than batches: a case the app rightly leaves waiting (a body that never completes) holds one
      // worker, not a whole batch.
      const worker = async () => {
        while (next < cases.length) {
          const index = next++;
          const item = cases[index]!;
          const exchange = await rawExchange({ port: deployment.app.port! }, item.bytes, item.abort ? 50 : WAIT_MS, QUIET_MS);
          if (exchange.statuses.some((status) => status >= 500)) {
            failures.push(
              `[seed ${seed}] case ${index} (${item.title}): ${exchange.received.slice(0, 300)}\n  sent: ${JSON.stringify(item.bytes.toString('latin1').slice(0, 600))}`,
            );
          }
          expect(
            deployment.app.process.exitCode,
            `the app exited after case ${index} (${item.title}):\n${deployment.app.output().slice(-3000)}`,
          ).toBeNull();
        }
      };
      await Promise.all(Array.from({ length: PARALLEL }, worker));
      expect(failures, failures.join('\n\n')).toEqual([]);

      expect(deployment.app.process.exitCode).toBeNull();
      expect(deployment.app.process.signalCode).toBeNull();
      const heartbeat = await fetch(`http://127.0.0.1:${deployment.app.port}/heartbeat`);
      expect(await heartbeat.json()).toEqual({ status: 'ok' });
      // And still does real work: a tool call through Nextcloud's proxy with the token from before.
      const answer = await fetch(deployment.connector, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${mcpToken}`,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-protocol-version': '2025-11-25',
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami', arguments: {} } }),
      });
      expect(answer.status).toBe(200);
      expect(await answer.text()).toContain('"userId":"alice"');
      expect(deployment.app.output()).not.toMatch(/uncaught|unhandled ?rejection|FATAL ERROR/i);
    },
    scaledTimeout(120_000),
  );
});
