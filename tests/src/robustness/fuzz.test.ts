// Seeded fuzzing of every public endpoint of the app built in-process against the simulator (with its DAV backend,
// so tool calls reach real WebDAV and CalDAV). Each request must get an answer below 500 (the simulated Nextcloud
// is healthy, so not even the 502-504 that report it unavailable are expected), JSON must parse, nothing may be
// cached, nothing is logged at error level, and no promise rejection or exception escapes. The cases are the same
// for the same seed: FUZZ_SEED=<seed> repeats a run (FUZZ_SEED=random for a fresh one), every failure names its
// seed, endpoint group and case number, and FUZZ_SHOW=<n> lists more than the first 8 failures of a group.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditStore } from '../../../src/store/audit.js';
import type { Rng } from '../../support/fuzz.js';
import { Rng as SeededRng, fuzzSeed, oddString, randomJson, randomText, scaled, scaledTimeout } from '../../support/fuzz.js';
import {
  PROTOCOL_VERSIONS,
  TOOL_SHAPES,
  argumentsWithWrongType,
  headerValue,
  mcpBody,
  mcpHeaders,
  percentEncode,
  queryString,
  queryValue,
  rpcMessage,
} from '../../support/fuzz-requests.js';
import type { InProcessApp } from '../../support/in-process-app.js';
import { startInProcessApp } from '../../support/in-process-app.js';
import type { InjectedGrant } from '../../support/inject-oauth.js';
import { injectRedirectUri, injectToken } from '../../support/inject-oauth.js';

const seed = fuzzSeed();
const root = new SeededRng(seed);

/** Cases per endpoint group. Together they run in well under a minute; FUZZ_SCALE=<factor> searches harder. */
const CASES = scaled({
  mcp: 1200,
  mcpAuth: 80,
  mcpGetDelete: 80,
  legacy: 100,
  authorize: 200,
  consent: 100,
  token: 200,
  revoke: 100,
  register: 150,
  wellKnown: 60,
  pages: 150,
  appApi: 150,
  routes: 150,
});

/** No case may take longer; one that does is reported as left without an answer. */
const CASE_TIMEOUT_MS = 15_000;

interface FuzzRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string;
}

interface Failure {
  group: string;
  index: number;
  request: FuzzRequest;
  problems: string[];
  status?: number;
  body?: string;
}

/** The user a request is signed for with this app's secret, or null when it is not signed that way. */
function signedUser(headers: Record<string, string>): string | null {
  const value = headers['authorization-app-api'];
  if (value === undefined) return null;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const separator = decoded.indexOf(':');
  return separator !== -1 && decoded.slice(separator + 1) === target.fixture.secret ? decoded.slice(0, separator) : null;
}

const short = (text: string, max = 300) => (text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text);

/** Header values as a reader can follow them: the tokens of this run by name, AppAPI's signature by its user. */
function readableHeader(name: string, value: string): string {
  if (name === 'authorization-app-api') {
    const user = signedUser({ [name]: value });
    if (user !== null) return `<signed as ${JSON.stringify(user)}>`;
  }
  let readable = value;
  for (const [holder, grant] of Object.entries(grants)) {
    readable = readable.replaceAll(grant.accessToken, `<access token ${holder}>`);
    if (grant.refreshToken) readable = readable.replaceAll(grant.refreshToken, `<refresh token ${holder}>`);
  }
  return short(JSON.stringify(readable), 200);
}

function describeFailure(failure: Failure): string {
  const { request } = failure;
  const headers = Object.entries(request.headers)
    .filter(([name]) => !['ex-app-id', 'ex-app-version', 'aa-version'].includes(name) || request.headers[name] !== target.appApi('')[name])
    .map(([name, value]) => `    ${name}: ${readableHeader(name, value)}`)
    .join('\n');
  return [
    `[seed ${seed}] ${failure.group} #${failure.index}: ${failure.problems.join('; ')}`,
    `  ${request.method} ${short(request.url, 400)}`,
    headers,
    request.payload !== undefined ? `  body: ${short(JSON.stringify(request.payload), 500)}` : '',
    failure.status !== undefined ? `  -> ${failure.status} ${short(failure.body ?? '', 300)}` : '',
  ]
    .filter(Boolean)
    .join('\n');
}

let target: InProcessApp;
let port: number;
const errorLogs: string[] = [];
const escaped: string[] = [];
const onRejection = (reason: unknown) =>
  void escaped.push(`unhandledRejection: ${reason instanceof Error ? reason.stack : String(reason)}`);
const onException = (error: Error) => void escaped.push(`uncaughtException: ${error.stack}`);
/** Libraries report what they caught and swallowed (a second writeHead, say) on console.error. */
const consoleErrors: string[] = [];
const originalConsoleError = console.error;

/** Grants made once for the groups that need them; the MCP ones are never revoked during the run. */
const grants = {} as Record<'alice' | 'bob' | 'aliceSse' | 'refresh' | 'revocable', InjectedGrant>;
const sessions = { alice: '', bob: '' };
let legacySession = '';
let legacyStream: http.ClientRequest | undefined;
let confidential = { clientId: '', secret: '' };

const ALL_SCOPES = 'files.read files.write calendar.read calendar.write talk.read talk.write';
const USERS = ['', 'alice', 'bob', 'admin', 'carol'];

beforeAll(async () => {
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  console.error = (...items: unknown[]) =>
    void consoleErrors.push(items.map((item) => (item instanceof Error ? item.stack : String(item))).join(' '));
  const logs = new Writable({
    write(chunk: Buffer, _encoding, done) {
      errorLogs.push(chunk.toString());
      done();
    },
  });
  target = await startInProcessApp({ sim: { dav: true }, deps: { logger: { level: 'error', stream: logs } } });
  await target.app.listen({ host: '127.0.0.1', port: 0 });
  port = (target.app.server.address() as AddressInfo).port;

  grants.alice = await injectToken(target, 'alice', ALL_SCOPES);
  grants.bob = await injectToken(target, 'bob', 'files.read');
  grants.aliceSse = await injectToken(target, 'alice', ALL_SCOPES, { path: 'sse' });
  grants.refresh = await injectToken(target, 'alice', 'files.read');
  grants.revocable = await injectToken(target, 'bob', 'files.read');
  for (const user of ['alice', 'bob'] as const) {
    const init = await target.app.inject({
      method: 'POST',
      url: '/mcp',
      headers: {
        ...target.appApi(''),
        authorization: `Bearer ${grants[user].accessToken}`,
        'x-origin-ip': '203.0.113.1',
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      payload: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'fuzz', version: '1' } },
      }),
    });
    sessions[user] = String(init.headers['mcp-session-id'] ?? '');
    expect(sessions[user]).not.toBe('');
  }
  const registered = await target.app.inject({
    method: 'POST',
    url: '/oauth/register',
    headers: { ...target.appApi(''), 'content-type': 'application/json' },
    payload: {
      client_name: 'Confidential fuzz client',
      redirect_uris: [injectRedirectUri],
      token_endpoint_auth_method: 'client_secret_post',
    },
  });
  confidential = { clientId: registered.json().client_id, secret: registered.json().client_secret };

  // A legacy HTTP+SSE session needs its stream open; /messages is fuzzed against it.
  legacyStream = http.get({
    host: '127.0.0.1',
    port,
    path: '/sse',
    headers: { ...target.appApi(''), authorization: `Bearer ${grants.aliceSse.accessToken}`, accept: 'text/event-stream' },
  });
  legacySession = await new Promise<string>((resolve, reject) => {
    legacyStream!.on('error', reject);
    legacyStream!.on('response', (response) => {
      let received = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        received += chunk;
        const id = /sessionId=([\w-]+)/.exec(received)?.[1];
        if (id) resolve(id);
      });
    });
  });
  errorLogs.length = 0;
});

afterAll(async () => {
  legacyStream?.destroy();
  await target?.stop();
  process.off('unhandledRejection', onRejection);
  process.off('uncaughtException', onException);
  console.error = originalConsoleError;
});

/** What is wrong with one answer, by the rules every endpoint follows (and, for a JSON API, answers only in JSON). */
function problemsOf(response: LightMyRequestResponse, jsonApi: boolean): string[] {
  const problems: string[] = [];
  if (response.statusCode >= 500) problems.push(`status ${response.statusCode}`);
  const type = String(response.headers['content-type'] ?? '');
  if (jsonApi && response.body !== '' && !type.includes('application/json') && !type.includes('text/event-stream'))
    problems.push(`a JSON API answered ${JSON.stringify(type)}`);
  if (type.includes('application/json') && response.body !== '') {
    try {
      JSON.parse(response.body);
    } catch {
      problems.push('the JSON body does not parse');
    }
  }
  if (type.includes('text/event-stream')) {
    for (const line of response.body.split('\n').filter((entry) => entry.startsWith('data: '))) {
      try {
        JSON.parse(line.slice(6));
      } catch {
        problems.push(`an event does not parse: ${short(line, 100)}`);
      }
    }
  }
  // The SDK marks its event streams no-cache; anything else must not be stored (the PHP proxy would add an hour).
  const cacheControl = String(response.headers['cache-control'] ?? '');
  if (!cacheControl.includes('no-store') && !(type.includes('text/event-stream') && cacheControl.includes('no-cache')))
    problems.push(`cache-control is ${JSON.stringify(cacheControl)}`);
  // A tool that breaks on odd input says so in its result; the answer is still a 200.
  if (/failed unexpectedly|could not describe/.test(response.body)) problems.push('a tool failed internally');
  return problems;
}

/** Runs every case of a group and fails with all of its failures listed (known findings set aside). */
async function fuzz(
  group: string,
  count: number,
  make: (rng: Rng, index: number) => FuzzRequest | Promise<FuzzRequest>,
  options: { jsonApi?: boolean } = {},
): Promise<void> {
  const rng = root.fork(group);
  const failures: Failure[] = [];
  for (let index = 0; index < count; index++) {
    const request = await make(rng, index);
    const logsBefore = errorLogs.length;
    const escapedBefore = escaped.length;
    const consoleBefore = consoleErrors.length;
    let timer: NodeJS.Timeout | undefined;
    let response: LightMyRequestResponse | undefined;
    const problems: string[] = [];
    try {
      response = await Promise.race([
        target.app.inject(request as InjectOptions),
        new Promise<never>(
          (_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${CASE_TIMEOUT_MS} ms`)), CASE_TIMEOUT_MS)),
        ),
      ]);
      problems.push(...problemsOf(response, options.jsonApi ?? false));
    } catch (error) {
      problems.push(`inject failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      clearTimeout(timer);
    }
    for (const line of errorLogs.slice(logsBefore)) problems.push(`logged an error: ${short(line, 400)}`);
    for (const line of escaped.slice(escapedBefore)) problems.push(short(line, 600));
    for (const line of consoleErrors.slice(consoleBefore)) problems.push(`console.error: ${short(line, 600)}`);
    if (problems.length > 0) failures.push({ group, index, request, problems, status: response?.statusCode, body: response?.body });
  }
  expect(
    failures.length,
    `${failures.length} of ${count} cases failed:\n\n${failures
      .slice(0, Number(process.env.FUZZ_SHOW ?? 8))
      .map(describeFailure)
      .join('\n\n')}`,
  ).toBe(0);
}

const signed = (user: string, extra: Record<string, string> = {}) => ({ ...target.appApi(user), ...extra });

/** Behind the PHP proxy (X-Origin-IP) every answer is one JSON body; elsewhere an event stream may come back. */
const entrance = (rng: Rng): Record<string, string> => (rng.chance(0.5) ? { 'x-origin-ip': '203.0.113.7' } : {});

function methodOf(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { method?: unknown };
    return typeof parsed.method === 'string' ? parsed.method : undefined;
  } catch {
    return undefined;
  }
}

function oddSessionId(rng: Rng): string {
  return rng.pick([
    sessions.alice,
    sessions.alice,
    sessions.bob,
    '',
    '6f1c1a44-5b7e-4c1d-9a0e-3f2b8c7d6e5f',
    'x'.repeat(2000),
    headerValue(oddString(rng)),
    `${sessions.alice} `,
    sessions.alice.toUpperCase(),
    legacySession,
  ]);
}

function oddOrigin(rng: Rng): Record<string, string> {
  if (rng.chance(0.8)) return {};
  return {
    origin: rng.pick([
      'http://127.0.0.1:6274',
      'http://localhost:6274',
      'https://evil.example',
      'null',
      target.fixture.sim.url,
      '',
      headerValue(oddString(rng)),
    ]),
  };
}

/** A Host header as odd as an HTTP/1.1 request may carry; the SDK builds URLs from it. */
function oddHost(rng: Rng): Record<string, string> {
  if (rng.chance(0.97)) return {};
  return {
    host: rng.pick([
      '',
      'a b',
      'exa mple.com:80',
      '[::1',
      'host:99999',
      'host:port',
      '%',
      'h\u00e9',
      'x'.repeat(300),
      '127.0.0.1:0',
      '@',
      'user@host',
    ]),
  };
}

// Each group runs its cases one after another within one test; a test that ran out of time would leave a case
// running into the next group's, and its error logs with it.
describe(`fuzzing every endpoint (seed ${seed})`, { timeout: scaledTimeout(60_000) }, () => {
  it('POST /mcp with a valid token: random and mutated JSON-RPC, every tool with wrong and odd arguments, header variants', async () => {
    const lastBefore = auditStore(target.db).query({ limit: 1 })[0]?.id ?? 0;
    await fuzz(
      'mcp',
      CASES.mcp,
      (rng) => {
        const version = rng.pick(PROTOCOL_VERSIONS);
        // Half the cases are odd only in their body, as a client's would be, so that most of them reach the tools.
        const clean = rng.chance(0.5);
        const payload = clean && rng.chance(0.6) ? JSON.stringify(rpcMessage(rng, version, 'tools/call')) : mcpBody(rng, version);
        const user = rng.chance(0.85) ? 'alice' : 'bob';
        const headers: Record<string, string> = {
          ...signed(rng.pick(USERS)),
          authorization: `Bearer ${grants[user].accessToken}`,
          ...entrance(rng),
          ...mcpHeaders(rng, version, methodOf(payload), clean),
          ...(clean ? {} : { ...oddOrigin(rng), ...oddHost(rng) }),
        };
        if (!clean && version !== '2026-07-28' && rng.chance(0.25)) headers['mcp-session-id'] = oddSessionId(rng);
        return { method: 'POST', url: '/mcp', headers, payload };
      },
      { jsonApi: true },
    );
    // The cases are worth little unless many get past the transport into the tools, and some of those to Nextcloud.
    const calls = auditStore(target.db)
      .query({ limit: 1000 })
      .filter((call) => call.id > lastBefore);
    expect(calls.length).toBeGreaterThan(CASES.mcp / 10);
    expect(calls.filter((call) => call.outcome === 'ok').length).toBeGreaterThan(CASES.mcp / 100);
  });

  it('POST /mcp with every tool and each argument of the wrong type, alone', async () => {
    // Not random: one case per tool and argument, so none is left out whatever the seed.
    const cases = TOOL_SHAPES.flatMap((tool) => Object.keys(tool.properties).map((name) => ({ tool, name })));
    await fuzz(
      'mcp-tool-arguments',
      cases.length,
      (rng, index) => {
        const { tool, name } = cases[index]!;
        return {
          method: 'POST',
          url: '/mcp',
          headers: {
            ...signed(''),
            authorization: `Bearer ${grants.alice.accessToken}`,
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
            'mcp-protocol-version': '2025-11-25',
            ...entrance(rng),
          },
          payload: JSON.stringify({
            jsonrpc: '2.0',
            id: index,
            method: 'tools/call',
            params: { name: tool.name, arguments: argumentsWithWrongType(rng, tool, name) },
          }),
        };
      },
      { jsonApi: true },
    );
  });

  it('/mcp with missing, malformed and foreign tokens', async () => {
    await fuzz(
      'mcp-auth',
      CASES.mcpAuth,
      (rng) => {
        const valid = grants.alice.accessToken;
        const [head, body, signature] = valid.split('.');
        const authorization = rng.pick<string | undefined>([
          undefined,
          '',
          'Bearer',
          'Bearer ',
          `bearer ${valid}`,
          `Bearer  ${valid}  `,
          `Bearer ${valid}x`,
          `Bearer ${head}.${body}.${signature!.split('').reverse().join('')}`,
          `Bearer ${head}.${Buffer.from('{"sub":"admin","gid":"x","client_id":"y","exp":99999999999}').toString('base64url')}.${signature}`,
          `Bearer eyJhbGciOiJub25lIn0.${body}.`,
          `Bearer ${grants.aliceSse.accessToken}`,
          `Basic ${Buffer.from('alice:alice').toString('base64')}`,
          `Bearer ${'a'.repeat(20_000)}`,
          `Bearer ${valid}, Bearer ${valid}`,
          headerValue(`Bearer ${oddString(rng)}`),
          'Digest username="alice"',
        ]);
        const version = rng.pick(PROTOCOL_VERSIONS);
        const headers: Record<string, string> = { ...signed(rng.pick(USERS)), ...entrance(rng), ...mcpHeaders(rng, version) };
        if (authorization !== undefined) headers.authorization = authorization;
        const method = rng.pick(['POST', 'POST', 'GET', 'DELETE']);
        return { method, url: '/mcp', headers, ...(method === 'POST' ? { payload: mcpBody(rng, version) } : {}) };
      },
      { jsonApi: true },
    );
  });

  it('GET and DELETE /mcp with Mcp-Session-Id variants', async () => {
    await fuzz(
      'mcp-get-delete',
      CASES.mcpGetDelete,
      (rng) => {
        const method = rng.pick(['GET', 'DELETE', 'DELETE']);
        const headers: Record<string, string> = {
          ...signed(''),
          authorization: `Bearer ${grants[rng.chance(0.8) ? 'alice' : 'bob'].accessToken}`,
          accept: rng.pick(['text/event-stream', 'application/json', '*/*', '']),
        };
        if (rng.chance(0.8)) headers['mcp-session-id'] = oddSessionId(rng);
        if (rng.chance(0.5)) headers['mcp-protocol-version'] = rng.pick([...PROTOCOL_VERSIONS, 'nonsense']);
        // A standalone stream of a live session stays open by design, which inject would wait for forever: only the
        // PHP proxy's entrance (which refuses it) may see a GET with a session of the caller's own.
        if (method === 'GET' || rng.chance(0.5)) headers['x-origin-ip'] = '203.0.113.7';
        if (rng.chance(0.2)) {
          headers['content-type'] = 'application/json';
          return { method, url: '/mcp', headers, payload: rng.pick(['', '{}', 'null', mcpBody(rng, '2025-11-25')]) };
        }
        return { method, url: '/mcp', headers };
      },
      { jsonApi: true },
    );
  });

  it('legacy HTTP+SSE: GET /sse and POST /messages with sessionId variants', async () => {
    await fuzz('legacy', CASES.legacy, (rng) => {
      if (rng.chance(0.2)) {
        // Only refusals: a stream that opens would stay open (see the GET /mcp group).
        const headers: Record<string, string> = { ...signed(rng.pick(USERS)), accept: 'text/event-stream' };
        if (rng.chance(0.5)) headers['x-origin-ip'] = '203.0.113.7';
        else headers.authorization = rng.pick(['', 'Bearer x', `Bearer ${grants.alice.accessToken}`]);
        return { method: 'GET', url: `/sse${rng.chance(0.3) ? `?${queryString(rng, [['sessionId', oddString(rng)]])}` : ''}`, headers };
      }
      const id = rng.pick([legacySession, legacySession, legacySession, sessions.alice, '', oddString(rng)]);
      const query = rng.pick([
        () => `sessionId=${percentEncode(legacySession)}`,
        () => `sessionId=${percentEncode(legacySession)}`,
        () => `sessionId=${percentEncode(legacySession)}`,
        () => `sessionId=${queryValue(rng, id)}`,
        () => `sessionId=${percentEncode(legacySession)}&sessionId=${percentEncode(legacySession)}`,
        () => `sessionId[]=${percentEncode(legacySession)}`,
        () => `sessionid=${percentEncode(legacySession)}`,
        () => '',
        () => `sessionId=${percentEncode(legacySession)}&${queryString(rng, [[oddString(rng), oddString(rng)]])}`,
      ])();
      const version = rng.pick(['2024-11-05', '2024-11-05', ...PROTOCOL_VERSIONS]);
      return {
        method: 'POST',
        url: `/messages${query ? `?${query}` : ''}`,
        headers: {
          ...signed(rng.pick(USERS)),
          authorization: `Bearer ${rng.chance(0.9) ? grants.aliceSse.accessToken : grants.alice.accessToken}`,
          ...mcpHeaders(rng, version),
          ...oddHost(rng),
          ...oddOrigin(rng),
        },
        payload: mcpBody(rng, version),
      };
    });
  });

  /** The parameters of a good authorization request, to be broken one or a few at a time. */
  const authorizeParams = (clientId: string): Array<[string, string]> => [
    ['client_id', clientId],
    ['redirect_uri', injectRedirectUri],
    ['response_type', 'code'],
    ['code_challenge', 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'],
    ['code_challenge_method', 'S256'],
    ['scope', 'files.read talk.read'],
    ['state', 'st-1'],
    ['resource', `${target.config.publicBaseUrl}/mcp`],
  ];

  /** Drops, repeats, stretches or replaces a few of the pairs, and now and then adds one. */
  function mutatePairs(rng: Rng, pairs: Array<[string, string]>, extras: Array<[string, () => string]>): Array<[string, string]> {
    let result = [...pairs];
    // Most requests break in one place, so that the checks behind the first one are reached too.
    for (let mutations = rng.chance(0.7) ? 1 : rng.int(2, 3); mutations > 0; mutations--) {
      const at = rng.int(0, result.length - 1);
      const [key, value] = result[at] ?? ['x', 'y'];
      const roll = rng.next();
      if (roll < 0.15) result.splice(at, 1);
      else if (roll < 0.22) result.push([key, rng.chance(0.5) ? value : oddString(rng)]);
      else if (roll < 0.29) result[at] = [key, value.repeat(Math.ceil(rng.pick([4000, 5000]) / Math.max(1, value.length)))];
      else if (roll < 0.37) result[at] = [key, ''];
      else if (roll < 0.55) {
        const [name, make] = rng.pick(extras);
        result.push([name, make()]);
      } else if (roll < 0.62) result[at] = [rng.chance(0.5) ? key.toUpperCase() : oddString(rng), value];
      else result[at] = [key, oddString(rng)];
    }
    if (rng.chance(0.1)) result = rng.some(result);
    return result;
  }

  const clientIds = (rng: Rng) =>
    rng.chance(0.7)
      ? rng.pick([grants.alice.clientId, confidential.clientId])
      : rng.pick([
          'mcp-00000000-0000-0000-0000-000000000000',
          'https://127.0.0.1:1/client.json',
          'https://localhost/c',
          'http://[::1]/c',
          'https://%zz/',
          oddString(rng),
        ]);

  it('GET /oauth/authorize with broken, repeated, overlong and unicode parameters, signed in and anonymous', async () => {
    await fuzz('authorize', CASES.authorize, (rng) => {
      const pairs = mutatePairs(rng, authorizeParams(clientIds(rng)), [
        ['prompt', () => rng.pick(['none', 'consent', 'login', 'select_account', oddString(rng)])],
        ['resume', () => rng.pick([randomText(rng, 30).replace(/[^A-Za-z0-9_-]/g, 'a'), 'a'.repeat(20), 'a'.repeat(65), oddString(rng)])],
        ['request', () => oddString(rng)],
        ['nonce', () => oddString(rng)],
        ['response_mode', () => rng.pick(['query', 'fragment', 'form_post', oddString(rng)])],
      ]);
      return {
        method: 'GET',
        url: `/oauth/authorize?${queryString(rng, pairs)}`,
        headers: { ...signed(rng.pick(USERS)), ...entrance(rng), ...oddHost(rng) },
      };
    });
  });

  it('POST /oauth/authorize consent forms: fields missing, repeated, forged, as JSON, from another user', async () => {
    let page = '';
    await fuzz('consent', CASES.consent, async (rng, index) => {
      // A fresh consent page every few cases, so most forms carry a real pending request and form token.
      if (index % 5 === 0) {
        const query = [...authorizeParams(grants.alice.clientId), ['prompt', 'consent']]
          .map(([key, value]) => `${key}=${percentEncode(value!)}`)
          .join('&');
        const consent = await target.app.inject({ method: 'GET', url: `/oauth/authorize?${query}`, headers: signed('alice') });
        page = consent.body;
      }
      const field = (name: string) => (new RegExp(`name="${name}" value="([^"]*)"`).exec(page)?.[1] ?? '').replaceAll('&amp;', '&');
      const pairs = mutatePairs(
        rng,
        [
          ['pending', field('pending')],
          ['form_token', field('form_token')],
          ['decision', rng.pick(['approve', 'deny'])],
          ['scope', 'files.read'],
          ['scope', 'talk.read'],
        ],
        [
          ['scope', () => rng.pick(['files.write', 'calendar.write', 'offline_access', oddString(rng)])],
          ['decision', () => oddString(rng)],
        ],
      );
      const user = rng.pick(['alice', 'alice', 'alice', 'bob', '']);
      const asJson = rng.chance(0.2);
      return {
        method: 'POST',
        url: '/oauth/authorize',
        headers: {
          ...signed(user),
          'content-type': asJson
            ? 'application/json'
            : rng.chance(0.9)
              ? 'application/x-www-form-urlencoded'
              : rng.pick(['text/plain', 'multipart/form-data', 'application/x-www-form-urlencoded; charset=latin1']),
          ...entrance(rng),
        },
        payload: asJson
          ? JSON.stringify(Object.fromEntries(pairs.map(([key, value]) => [key, rng.chance(0.8) ? value : randomJson(rng, 1)])))
          : queryString(rng, pairs),
      };
    });
  });

  /** Basic credentials as a client might botch them. */
  const oddBasic = (rng: Rng, clientId: string, secret: string) =>
    rng.pick([
      `Basic ${Buffer.from(`${percentEncode(clientId)}:${percentEncode(secret)}`).toString('base64')}`,
      'Basic',
      'Basic ',
      'Basic !!!!',
      'Basic =',
      `Basic ${Buffer.from('no-colon').toString('base64')}`,
      `Basic ${Buffer.from(':').toString('base64')}`,
      `Basic ${Buffer.from('%zz:%zz').toString('base64')}`,
      `Basic ${Buffer.from(`${clientId}:`).toString('base64')}`,
      `Basic ${Buffer.from('\ud800:\udfff').toString('base64')}`,
      `basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
      `Basic ${Buffer.from(`${'x'.repeat(5000)}:${'y'.repeat(5000)}`).toString('base64')}`,
      headerValue(`Basic ${oddString(rng)}`),
    ]);

  /** A form or JSON body for the token and revocation endpoints, or something that is neither. */
  function oauthBody(rng: Rng, pairs: Array<[string, string]>): { payload: string; type: string } {
    const roll = rng.next();
    if (roll < 0.7)
      return {
        payload: queryString(rng, pairs),
        type: rng.chance(0.95) ? 'application/x-www-form-urlencoded' : 'application/x-www-form-urlencoded; charset=iso-8859-1',
      };
    if (roll < 0.9)
      return {
        payload: JSON.stringify(Object.fromEntries(pairs.map(([key, value]) => [key, rng.chance(0.95) ? value : randomJson(rng, 1)]))),
        type: 'application/json',
      };
    return {
      payload: rng.pick(['', 'null', '[]', '"x"', '{', randomText(rng, 50), JSON.stringify([['grant_type', 'authorization_code']])]),
      type: rng.pick(['application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=--x']),
    };
  }

  it('POST /oauth/token with random grants, codes, verifiers, refresh tokens and client credentials', async () => {
    await fuzz(
      'token',
      CASES.token,
      (rng) => {
        const useConfidential = rng.chance(0.3);
        const clientId = useConfidential ? confidential.clientId : rng.chance(0.8) ? grants.refresh.clientId : clientIds(rng);
        const pairs = mutatePairs(
          rng,
          [
            [
              'grant_type',
              rng.pick([
                'authorization_code',
                'refresh_token',
                'refresh_token',
                'client_credentials',
                'password',
                'urn:ietf:params:oauth:grant-type:device_code',
              ]),
            ],
            ['code', rng.pick([`code-${randomText(rng, 10)}`, 'x'.repeat(43), ''])],
            ['code_verifier', rng.pick(['a'.repeat(43), 'a'.repeat(128), 'a'.repeat(129), 'short', '~'.repeat(50)])],
            ['redirect_uri', injectRedirectUri],
            ['client_id', clientId],
            ['refresh_token', rng.chance(0.3) ? (grants.refresh.refreshToken ?? '') : `rt-${randomText(rng, 20)}`],
            ['scope', rng.pick(['files.read', 'files.write', 'offline_access', ''])],
            ['resource', `${target.config.publicBaseUrl}/mcp`],
            ...(useConfidential
              ? ([['client_secret', rng.chance(0.7) ? confidential.secret : oddString(rng)]] as Array<[string, string]>)
              : []),
          ],
          [
            ['client_secret', () => oddString(rng)],
            ['resource', () => rng.pick([`${target.config.publicBaseUrl}/sse`, 'https://evil.example/mcp', oddString(rng)])],
            ['assertion', () => oddString(rng)],
          ],
        );
        const body = oauthBody(rng, pairs);
        const headers: Record<string, string> = { ...signed(rng.pick(['', '', 'alice'])), 'content-type': body.type };
        if (rng.chance(0.25)) headers.authorization = oddBasic(rng, clientId, confidential.secret);
        return { method: 'POST', url: '/oauth/token', headers, payload: body.payload };
      },
      { jsonApi: true },
    );
  });

  it('POST /oauth/revoke with random tokens, hints and client credentials', async () => {
    await fuzz(
      'revoke',
      CASES.revoke,
      (rng) => {
        const clientId = rng.pick([grants.revocable.clientId, confidential.clientId, clientIds(rng)]);
        const token = rng.pick([
          grants.revocable.accessToken,
          grants.revocable.refreshToken ?? '',
          `${grants.revocable.accessToken.slice(0, -4)}AAAA`,
          'a.b.c',
          '..',
          '',
          oddString(rng),
        ]);
        const pairs = mutatePairs(
          rng,
          [
            ['token', token],
            ['token_type_hint', rng.pick(['access_token', 'refresh_token', oddString(rng)])],
            ['client_id', clientId],
          ],
          [['client_secret', () => rng.pick([confidential.secret, oddString(rng)])]],
        );
        const body = oauthBody(rng, pairs);
        const headers: Record<string, string> = { ...signed(''), 'content-type': body.type };
        if (rng.chance(0.25)) headers.authorization = oddBasic(rng, clientId, confidential.secret);
        return { method: 'POST', url: '/oauth/revoke', headers, payload: body.payload };
      },
      { jsonApi: true },
    );
  });

  it('POST /oauth/register with random client metadata', async () => {
    const fields = [
      'client_name',
      'redirect_uris',
      'grant_types',
      'response_types',
      'token_endpoint_auth_method',
      'scope',
      'client_uri',
      'logo_uri',
      'contacts',
      'software_id',
      'software_statement',
      'jwks',
      'jwks_uri',
    ];
    await fuzz(
      'register',
      CASES.register,
      (rng) => {
        const metadata: Record<string, unknown> = {
          client_name: 'Fuzz',
          redirect_uris: [injectRedirectUri],
          grant_types: ['authorization_code'],
          token_endpoint_auth_method: 'none',
        };
        for (const name of rng.some(fields, 4)) {
          metadata[name] = rng.pick<() => unknown>([
            () => randomJson(rng, 2),
            () => oddString(rng),
            () => [oddString(rng)],
            () => Array.from({ length: rng.pick([0, 1, 50, 500]) }, () => injectRedirectUri),
            () => [
              rng.pick([
                'https://chatgpt.com/cb',
                'http://localhost/cb',
                'http://127.0.0.1:0/cb',
                'http://[::1]:65535/cb',
                'https://claude.ai/api/mcp/auth_callback',
                'custom-scheme:/cb',
                'http://127.0.0.1:4999/cb#x',
                'http://127.0.0.1:4999/cb?a=b',
              ]),
            ],
            () => undefined,
          ])();
        }
        const payload = rng.pick<() => string>([
          () => JSON.stringify(metadata),
          () => JSON.stringify(metadata),
          () => JSON.stringify(metadata),
          () => JSON.stringify(randomJson(rng, 3)),
          () => JSON.stringify({ ...metadata, padding: 'x'.repeat(20_000) }),
          () => `{"__proto__":{"redirect_uris":["https://evil.example/cb"]},${JSON.stringify(metadata).slice(1)}`,
          () =>
            queryString(rng, [
              ['client_name', 'x'],
              ['redirect_uris', injectRedirectUri],
            ]),
          () => randomText(rng, 40),
        ])();
        return {
          method: 'POST',
          url: '/oauth/register',
          headers: {
            ...signed(''),
            'content-type': rng.chance(0.85)
              ? 'application/json'
              : rng.pick(['application/x-www-form-urlencoded', 'text/plain', 'application/json; charset=utf-16']),
            ...entrance(rng),
          },
          payload,
        };
      },
      { jsonApi: true },
    );
  });

  it('the .well-known documents and the JWKS, with odd suffixes and methods', async () => {
    const bases = [
      '/.well-known/oauth-protected-resource',
      '/.well-known/oauth-authorization-server',
      '/.well-known/openid-configuration',
      '/oauth/jwks',
    ];
    await fuzz(
      'well-known',
      CASES.wellKnown,
      (rng) => {
        const suffix = rng.pick([
          '',
          '',
          '/mcp',
          '/sse',
          '/mcp/',
          '/MCP',
          '/mcp/extra',
          '/%00',
          '/..%2f..%2f',
          '/%2e%2e',
          `/${percentEncode(oddString(rng))}`,
          '?x=1',
          `?${queryString(rng, [[oddString(rng), oddString(rng)]])}`,
          '//',
          '/.',
          ';jsessionid=x',
        ]);
        const method = rng.pick(['GET', 'GET', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'DELETE']);
        return {
          method,
          url: `${rng.pick(bases)}${suffix}`,
          headers: { ...signed(rng.pick(USERS)), ...entrance(rng), ...oddHost(rng), ...oddOrigin(rng) },
        };
      },
      { jsonApi: true },
    );
  });

  it('the pages and APIs for people and admins, with odd filters and forms', async () => {
    await fuzz('pages', CASES.pages, (rng) => {
      const user = rng.pick(USERS);
      const auditQuery = () =>
        queryString(
          rng,
          rng
            .some(['user', 'client', 'tool', 'outcome', 'since', 'before', 'limit'])
            .map((key) => [
              key,
              rng.pick([
                'alice',
                'ok',
                'refused',
                '0',
                '-1',
                '1e20',
                '1e400',
                '99999999999999999999',
                '2026-01-01T00:00:00Z',
                '2026-13-01T00:00:00Z',
                '1000',
                '1001',
                '',
                oddString(rng),
              ]),
            ]),
        );
      const form = (pairs: Array<[string, string]>) => ({
        'content-type': rng.chance(0.85) ? 'application/x-www-form-urlencoded' : rng.pick(['application/json', 'text/plain']),
        payload: queryString(rng, pairs),
      });
      const route = rng.pick<() => FuzzRequest>([
        () => ({
          method: 'GET',
          url: rng.chance(0.7) ? '/' : `/?${queryString(rng, [[oddString(rng), oddString(rng)]])}`,
          headers: signed(user),
        }),
        () => ({ method: 'GET', url: '/api/v1/me', headers: signed(user) }),
        () => ({ method: 'GET', url: '/admin/api/v1/status', headers: signed(user) }),
        () => ({ method: 'GET', url: `/admin/api/v1/audit?${auditQuery()}`, headers: signed(user) }),
        () => ({ method: 'GET', url: `/admin/audit?${auditQuery()}`, headers: signed(user) }),
        () => ({ method: 'GET', url: '/connections', headers: signed(user) }),
        () => ({ method: 'GET', url: '/admin/connections', headers: signed(user) }),
        () => {
          const { payload, ...type } = form(
            mutatePairs(
              rng,
              [
                ['client_id', grants.revocable.clientId],
                ['form_token', 'x.y'],
              ],
              [['client_id', () => oddString(rng)]],
            ),
          );
          return { method: 'POST', url: '/connections/revoke', headers: { ...signed(user), ...type }, payload };
        },
        () => {
          const { payload, ...type } = form(
            mutatePairs(
              rng,
              [
                ['user_id', 'bob'],
                ['client_id', grants.revocable.clientId],
                ['form_token', 'x.y'],
              ],
              [['user_id', () => oddString(rng)]],
            ),
          );
          return { method: 'POST', url: '/admin/connections/revoke', headers: { ...signed(user), ...type }, payload };
        },
      ]);
      const request = route();
      return { ...request, headers: { ...request.headers, ...entrance(rng), ...oddHost(rng) } };
    });
  });

  it('/heartbeat, /init, /enabled and every other route with broken AppAPI headers', async () => {
    const routes: Array<[string, string]> = [
      ['GET', '/heartbeat'],
      ['POST', '/init'],
      ['PUT', '/enabled?enabled=1'],
      ['PUT', '/enabled?enabled=0'],
      ['GET', '/'],
      ['GET', '/api/v1/me'],
      ['GET', '/admin/api/v1/status'],
      ['POST', '/mcp'],
      ['GET', '/oauth/authorize'],
      ['POST', '/oauth/token'],
      ['GET', '/.well-known/openid-configuration'],
    ];
    await fuzz('appapi', CASES.appApi, (rng) => {
      const [method, path] = rng.pick(routes);
      const secret = target.fixture.secret;
      const headers: Record<string, string> = { ...signed(rng.pick(USERS)) };
      for (let mutations = rng.int(1, 3); mutations > 0; mutations--) {
        const name = rng.pick(['ex-app-id', 'ex-app-version', 'authorization-app-api', 'aa-version', 'aa-request-id']);
        headers[name] = rng.pick<() => string | undefined>([
          () => undefined,
          () => '',
          () => `${headers[name] ?? ''}, ${headers[name] ?? ''}`,
          () => headerValue(oddString(rng)),
          () => Buffer.from(`${oddString(rng)}:${secret}`).toString('base64'),
          () => Buffer.from(`alice:${secret}x`).toString('base64'),
          () => Buffer.from(`:${secret}`).toString('base64'),
          () => Buffer.from(secret).toString('base64'),
          () => `${Buffer.from(`alice:${secret}`).toString('base64')}!!`,
          () => '%%%',
          () => 'x'.repeat(10_000),
        ])() as string;
        if (headers[name] === undefined) delete headers[name];
      }
      let url = path;
      if (path.startsWith('/enabled') && rng.chance(0.5))
        url = `/enabled?${rng.pick(['', 'enabled=2', 'enabled=1&enabled=0', 'enabled=', `enabled=${queryValue(rng, oddString(rng))}`])}`;
      if (path === '/heartbeat' && rng.chance(0.3)) url = `/heartbeat?${queryString(rng, [[oddString(rng), oddString(rng)]])}`;
      return {
        method,
        url,
        headers: { ...headers, ...oddHost(rng) },
        ...(method === 'POST' || method === 'PUT' ? { payload: rng.pick(['', '{}', randomText(rng, 20)]) } : {}),
      };
    });
  });

  it('random methods and paths around the real routes', async () => {
    const known = [
      '/',
      '/mcp',
      '/sse',
      '/messages',
      '/oauth/authorize',
      '/oauth/token',
      '/oauth/revoke',
      '/oauth/register',
      '/oauth/jwks',
      '/connections',
      '/admin/audit',
      '/api/v1/me',
      '/heartbeat',
      '/init',
      '/enabled',
    ];
    await fuzz('routes', CASES.routes, (rng) => {
      const base = rng.pick(known);
      const path = rng.pick<() => string>([
        () => `${base}/`,
        () => base.toUpperCase(),
        () => `/${base}`,
        () => `${base}%00`,
        () => `${base}%2F`,
        () => `/%2e%2e${base}`,
        () => `${base};x=1`,
        () => `${base}/${percentEncode(oddString(rng))}`,
        () => `${base}?${'a=1&'.repeat(rng.pick([10, 2000]))}`,
        () => `/${'a'.repeat(rng.pick([100, 5000]))}`,
        () => `/${percentEncode(randomText(rng, 30))}`,
        () => `${base}?${queryString(rng, [[oddString(rng), oddString(rng)]])}`,
        () => `${base}#frag`,
        () => `${base}?%`,
      ])();
      const method = rng.pick(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD']);
      const headers: Record<string, string> = { ...signed(rng.pick(USERS)), ...entrance(rng), ...oddHost(rng) };
      if (rng.chance(0.3)) headers.authorization = `Bearer ${grants.alice.accessToken}`;
      if (method === 'POST' || method === 'PUT' || method === 'PATCH') {
        headers['content-type'] = rng.pick(['application/json', 'application/x-www-form-urlencoded', 'text/plain']);
        return { method, url: path, headers, payload: rng.pick(['', '{}', 'a=b', randomText(rng, 30)]) };
      }
      return { method, url: path, headers };
    });
  });

  it('lets no rejection or exception escape during the run', () => {
    expect(escaped, escaped.join('\n\n')).toEqual([]);
  });
});
