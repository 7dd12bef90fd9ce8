// The metadata document fetcher against real local servers: an https host with a certificate made at test time,
// reached through an injected DNS lookup that maps test host names to 127.0.0.1.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { FetchOutcome } from '../../../src/oauth/client-metadata-document.js';
import { createClientMetadataFetcher, nonPublicAddressRange } from '../../../src/oauth/client-metadata-document.js';
import { clientMetadataDocumentSchema, isClientMetadataDocumentId } from '../../../src/oauth/client-metadata-schema.js';

const HOST = 'client.example.test';

let cert: string;
let key: string;
let server: https.Server;
let plainServer: http.Server;
let port: number;
let plainPort: number;
/** Base URL of the https host, as a client_id prefix. */
let base: string;
let connections = 0;
const hits = new Map<string, number>();
const routes = new Map<string, http.RequestListener>();

function route(path: string, handler: http.RequestListener): string {
  routes.set(path, handler);
  return `${base}${path}`;
}

function hitCount(path: string): number {
  return hits.get(path) ?? 0;
}

const handle: http.RequestListener = (req, res) => {
  const path = req.url ?? '/';
  hits.set(path, hitCount(path) + 1);
  const handler = routes.get(path);
  if (handler) handler(req, res);
  else res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
};

function sendJson(res: http.ServerResponse, body: unknown, headers: http.OutgoingHttpHeaders = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** ChatGPT's live document as the contract captured it, with the test URL as client_id. */
function chatgptDocument(clientId: string) {
  return {
    client_id: clientId,
    client_uri: 'https://chatgpt.com/',
    redirect_uris: ['https://chatgpt.com/connector_platform_oauth_redirect'],
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_methods_supported: ['none', 'private_key_jwt'],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    client_name: 'ChatGPT',
    jwks_uri: 'https://chatgpt.com/oauth/jwks.json',
    token_endpoint_auth_signing_alg: 'RS256',
  };
}

function claudeDocument(clientId: string) {
  return {
    client_id: clientId,
    client_name: 'Claude',
    redirect_uris: ['https://claude.ai/api/mcp/auth_callback'],
    grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:jwt-bearer'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
  };
}

/** A route serving a valid document for its own URL. */
function documentRoute(path: string, headers: http.OutgoingHttpHeaders = {}): string {
  const id = `${base}${path}`;
  route(path, (_req, res) => sendJson(res, claudeDocument(id), headers));
  return id;
}

let lookupCalls: string[] = [];
const toLoopback = async (hostname: string) => {
  lookupCalls.push(hostname);
  return [{ address: '127.0.0.1', family: 4 as const }];
};

/** The target is loopback, so the happy path needs the test flag; the https and certificate checks stay real. */
function testFetcher(extra: Parameters<typeof createClientMetadataFetcher>[0] = {}) {
  return createClientMetadataFetcher({ allowInsecureForTests: true, lookup: toLoopback, ca: cert, ...extra });
}

/** Runs a fetch with its deadline on a clock the test moves; sockets and this test's server keep real time. */
async function onDeadlineClock<T>(run: () => Promise<T>): Promise<T> {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  try {
    return await run();
  } finally {
    vi.useRealTimers();
  }
}

/**
 * A fetch that is still waiting once `reached` (it got that far) and the deadline has not quite passed, and has
 * given up once it has: the timeout is what ends it, at the time it names.
 */
function atDeadline(
  id: string,
  timeoutMs: number,
  reached: Promise<void>,
  extra: Parameters<typeof testFetcher>[0] = {},
): Promise<FetchOutcome> {
  return onDeadlineClock(async () => {
    let outcome: FetchOutcome | undefined;
    const fetching = testFetcher({ timeoutMs, ...extra })
      .fetch(id)
      .then((result) => (outcome = result));
    await reached;
    await vi.advanceTimersByTimeAsync(timeoutMs - 1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(outcome).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    return fetching;
  });
}

function failure(outcome: FetchOutcome): string {
  expect(outcome.ok).toBe(false);
  if (outcome.ok) throw new Error('expected a failure');
  expect(outcome.error).toBe('invalid_client');
  return outcome.description;
}

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cimd-test-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '2',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-subj',
        `/CN=${HOST}`,
        '-addext',
        `subjectAltName=DNS:${HOST},DNS:other.example.test`,
      ],
      { stdio: 'ignore' },
    );
    cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    key = readFileSync(join(dir, 'key.pem'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  server = https.createServer({ cert, key }, handle);
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  base = `https://${HOST}:${port}`;
  plainServer = http.createServer(handle);
  await new Promise<void>((resolve) => plainServer.listen(0, '127.0.0.1', resolve));
  plainPort = (plainServer.address() as AddressInfo).port;
});

afterAll(async () => {
  for (const s of [server, plainServer]) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});

beforeEach(() => {
  lookupCalls = [];
});

describe('isClientMetadataDocumentId', () => {
  it('accepts https URLs with a path, as ChatGPT and Claude use them', () => {
    for (const id of [
      'https://chatgpt.com/oauth/client.json',
      'https://chatgpt.com/oauth/abc123/client.json',
      'https://claude.ai/oauth/mcp-oauth-client-metadata',
      'https://example.com:8443/client?v=1',
    ]) {
      expect(isClientMetadataDocumentId(id), id).toBe(true);
    }
  });

  it('refuses http, root paths, fragments, user info, dot segments and non-URLs', () => {
    for (const id of [
      'http://chatgpt.com/oauth/client.json',
      'https://chatgpt.com',
      'https://chatgpt.com/',
      'https://chatgpt.com/?x=1',
      'https://chatgpt.com/oauth/client.json#frag',
      'https://user:pw@chatgpt.com/oauth/client.json',
      'https://user@chatgpt.com/oauth/client.json',
      'https://@chatgpt.com/oauth/client.json',
      'https://chatgpt.com/oauth/../client.json',
      'https://chatgpt.com/./client.json',
      'https://chatgpt.com/oauth/%2e%2e/client.json',
      'https://chatgpt.com/oauth/%2E/client.json',
      'https://chatgpt.com/oauth/..',
      'https:///client.json',
      'https://chatgpt.com\\oauth\\client.json',
      'https://chatgpt.com/oauth/client.json ',
      'javascript:alert(1)//x',
      'ftp://chatgpt.com/client.json',
      'a-registered-client-id',
      '',
    ]) {
      expect(isClientMetadataDocumentId(id), id).toBe(false);
    }
  });
});

describe('nonPublicAddressRange', () => {
  it('passes public unicast addresses', () => {
    for (const address of ['93.184.215.14', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) {
      expect(nonPublicAddressRange(address), address).toBeNull();
    }
  });

  it('names the range of everything else', () => {
    const cases: Array<[string, string]> = [
      ['127.0.0.1', 'loopback'],
      ['10.0.0.5', 'private'],
      ['172.16.3.4', 'private'],
      ['192.168.1.1', 'private'],
      ['169.254.169.254', 'linkLocal'],
      ['100.64.0.1', 'carrierGradeNat'],
      ['0.0.0.0', 'unspecified'],
      ['224.0.0.1', 'multicast'],
      ['255.255.255.255', 'broadcast'],
      ['192.0.2.1', 'reserved'],
      ['::1', 'loopback'],
      ['::', 'unspecified'],
      ['fe80::1', 'linkLocal'],
      ['fd00::1', 'uniqueLocal'],
      ['::ffff:127.0.0.1', 'loopback'],
      ['::ffff:10.0.0.5', 'private'],
      ['64:ff9b::a00:5', 'rfc6052'],
      ['2002:a00:5::1', '6to4'],
      ['::a00:5', 'reserved'],
      ['not-an-ip', 'invalid'],
    ];
    for (const [address, range] of cases) {
      expect(nonPublicAddressRange(address), address).toBe(range);
    }
  });
});

describe('clientMetadataDocumentSchema', () => {
  it('accepts the ChatGPT document with private_key_jwt and keeps unknown fields', () => {
    const parsed = clientMetadataDocumentSchema.parse(chatgptDocument('https://chatgpt.com/oauth/client.json'));
    expect(parsed.token_endpoint_auth_method).toBe('private_key_jwt');
    expect(parsed.token_endpoint_auth_signing_alg).toBe('RS256');
    expect(parsed.token_endpoint_auth_methods_supported).toEqual(['none', 'private_key_jwt']);
  });

  it('accepts loopback http redirect URIs (Claude Code, Codex)', () => {
    const parsed = clientMetadataDocumentSchema.safeParse({
      client_id: 'https://claude.ai/oauth/claude-code-client-metadata',
      client_name: 'Claude Code',
      redirect_uris: ['http://localhost/callback', 'http://127.0.0.1/callback', 'http://[::1]:5555/callback'],
    });
    expect(parsed.success).toBe(true);
  });

  it('refuses missing fields and unsafe redirect URIs', () => {
    const good = claudeDocument('https://claude.ai/oauth/mcp-oauth-client-metadata');
    const bad: Array<[string, unknown]> = [
      ['no redirect_uris', { ...good, redirect_uris: undefined }],
      ['empty redirect_uris', { ...good, redirect_uris: [] }],
      ['javascript: redirect', { ...good, redirect_uris: ['javascript:alert(1)'] }],
      ['data: redirect', { ...good, redirect_uris: ['data:text/html,hi'] }],
      ['http non-loopback', { ...good, redirect_uris: ['http://evil.example/cb'] }],
      ['http loopback look-alike', { ...good, redirect_uris: ['http://127.0.0.1.evil.example/cb'] }],
      ['fragment', { ...good, redirect_uris: ['https://claude.ai/cb#x'] }],
      ['relative', { ...good, redirect_uris: ['/cb'] }],
      ['credentials', { ...good, redirect_uris: ['https://u:p@claude.ai/cb'] }],
      ['no client_name', { ...good, client_name: undefined }],
      ['blank client_name', { ...good, client_name: '  ' }],
      ['long client_name', { ...good, client_name: 'x'.repeat(201) }],
      ['no client_id', { ...good, client_id: undefined }],
      ['auth method not a string', { ...good, token_endpoint_auth_method: 5 }],
    ];
    for (const [label, document] of bad) {
      expect(clientMetadataDocumentSchema.safeParse(document).success, label).toBe(false);
    }
  });

  it('drops a client_uri or logo_uri that is not https instead of failing the document', () => {
    const parsed = clientMetadataDocumentSchema.parse({
      ...claudeDocument('https://claude.ai/oauth/mcp-oauth-client-metadata'),
      client_uri: 'javascript:alert(1)',
      logo_uri: 'http://claude.ai/logo.png',
    });
    expect(parsed.client_uri).toBeUndefined();
    expect(parsed.logo_uri).toBeUndefined();
    const kept = clientMetadataDocumentSchema.parse({ ...claudeDocument('https://claude.ai/x'), logo_uri: 'https://claude.ai/logo.png' });
    expect(kept.logo_uri).toBe('https://claude.ai/logo.png');
  });
});

describe('fetching documents', () => {
  it('accepts a ChatGPT-shaped document (private_key_jwt) and a Claude-shaped one', async () => {
    const chatgpt = route('/oauth/client.json', (_req, res) => sendJson(res, chatgptDocument(`${base}/oauth/client.json`)));
    const claude = route('/oauth/mcp-oauth-client-metadata', (_req, res) =>
      sendJson(res, claudeDocument(`${base}/oauth/mcp-oauth-client-metadata`), { 'content-type': 'application/json; charset=utf-8' }),
    );
    const fetcher = testFetcher();
    const first = await fetcher.fetch(chatgpt);
    expect(first).toMatchObject({
      ok: true,
      fromCache: false,
      document: { client_name: 'ChatGPT', token_endpoint_auth_method: 'private_key_jwt' },
    });
    const second = await fetcher.fetch(claude);
    expect(second).toMatchObject({
      ok: true,
      fromCache: false,
      document: { client_name: 'Claude', redirect_uris: ['https://claude.ai/api/mcp/auth_callback'] },
    });
  });

  it('resolves the host once and connects to the vetted address (DNS pinning)', async () => {
    const id = documentRoute('/pinned');
    let calls = 0;
    const fetcher = testFetcher({
      lookup: async () => {
        calls += 1;
        // A second answer would point somewhere else; it must never be asked for.
        return [{ address: calls === 1 ? '127.0.0.1' : '10.66.66.66', family: 4 }];
      },
    });
    const outcome = await fetcher.fetch(id);
    expect(outcome.ok).toBe(true);
    // client.example.test does not exist in real DNS, so reaching the server proves the pinned address was used.
    expect(calls).toBe(1);
  });

  it('checks the certificate against the host name', async () => {
    const id = documentRoute('/certificate');
    expect(failure(await testFetcher({ ca: undefined }).fetch(id))).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY|certificate/i);
    const wrongHost = `https://wrong.example.test:${port}/certificate`;
    expect(failure(await testFetcher().fetch(wrongHost))).toMatch(/ALTNAME|does not match|certificate/i);
    // The second name on the certificate works, so the failures above are about the certificate, not the setup.
    const other = `https://other.example.test:${port}/other-name`;
    route('/other-name', (_req, res) => sendJson(res, claudeDocument(other)));
    expect((await testFetcher().fetch(other)).ok).toBe(true);
  });

  it('refuses loopback, private, link-local and mapped addresses before connecting', async () => {
    const id = documentRoute('/address-rule');
    const before = connections;
    const refused: Array<Array<{ address: string; family: 4 | 6 }>> = [
      [{ address: '127.0.0.1', family: 4 }],
      [{ address: '10.0.0.5', family: 4 }],
      [{ address: '192.168.0.10', family: 4 }],
      [{ address: '172.20.0.1', family: 4 }],
      [{ address: '169.254.169.254', family: 4 }],
      [{ address: '100.64.1.1', family: 4 }],
      [{ address: '0.0.0.0', family: 4 }],
      [{ address: '::ffff:127.0.0.1', family: 6 }],
      [{ address: '::1', family: 6 }],
      [{ address: 'fd00::1', family: 6 }],
      [{ address: 'fe80::1', family: 6 }],
      // Any non-public answer spoils the lot, even next to a public one.
      [
        { address: '93.184.215.14', family: 4 },
        { address: '10.0.0.5', family: 4 },
      ],
    ];
    for (const answer of refused) {
      const fetcher = createClientMetadataFetcher({ lookup: async () => answer, ca: cert });
      const description = failure(await fetcher.fetch(id));
      expect(description, JSON.stringify(answer)).toMatch(/not public/);
      expect(description).not.toContain(answer[answer.length - 1]!.address);
    }
    expect(connections).toBe(before);
    expect(hitCount('/address-rule')).toBe(0);
    // The same target with the test flag is reached, so the refusals above come from the address rule.
    expect((await testFetcher().fetch(id)).ok).toBe(true);
    expect(connections).toBe(before + 1);
  });

  it('refuses IP literal hosts that are not public without asking DNS', async () => {
    const lookup = vi.fn(toLoopback);
    const fetcher = createClientMetadataFetcher({ lookup, ca: cert });
    for (const id of [
      `https://127.0.0.1:${port}/x`,
      `https://[::1]:${port}/x`,
      'https://169.254.169.254/latest/meta-data',
      'https://[::ffff:a00:5]/x',
    ]) {
      expect(failure(await fetcher.fetch(id)), id).toMatch(/not public/);
    }
    expect(lookup).not.toHaveBeenCalled();
  });

  it('refuses an http client_id unless the test flag is set', async () => {
    const id = `http://${HOST}:${plainPort}/plain`;
    route('/plain', (_req, res) => sendJson(res, claudeDocument(id)));
    const secure = createClientMetadataFetcher({ lookup: toLoopback });
    expect(failure(await secure.fetch(id))).toMatch(/not an https URL/);
    expect(hitCount('/plain')).toBe(0);
    expect(lookupCalls).toEqual([]);
    expect((await testFetcher().fetch(id)).ok).toBe(true);
    expect(hitCount('/plain')).toBe(1);
  });

  it('refuses client_ids that break the draft rules without fetching', async () => {
    const fetcher = testFetcher();
    for (const id of [`${base}/`, `${base}/a/../b`, `${base}/doc#x`, `https://u:p@${HOST}:${port}/doc`]) {
      expect(failure(await fetcher.fetch(id)), id).toMatch(/is not a client metadata document URL/);
    }
    expect(lookupCalls).toEqual([]);
  });

  it('refuses a body larger than the limit announced by Content-Length', async () => {
    const id = route('/big', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': 9000 });
      res.end(JSON.stringify({ client_id: 'x', pad: 'a'.repeat(9000 - 29) }));
    });
    expect(failure(await testFetcher().fetch(id))).toBe(`The client metadata document at ${id} is 9000 bytes; the limit is 5120.`);
  });

  it('stops reading a body without Content-Length as soon as it passes the limit', async () => {
    let closed = false;
    let written = 0;
    const id = route('/forever', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"client_id":"');
      const interval = setInterval(() => {
        res.write('a'.repeat(1024));
        written += 1024;
      }, 5);
      res.on('close', () => {
        clearInterval(interval);
        closed = true;
      });
    });
    // The deadline's clock stands still, so only the size limit can end this fetch.
    const description = failure(await onDeadlineClock(() => testFetcher({ timeoutMs: 20_000 }).fetch(id)));
    expect(description).toMatch(/larger than 5120 bytes .*the limit is 5120/);
    const readBytes = Number(/stopped after (\d+) bytes/.exec(description)?.[1]);
    expect(readBytes).toBeGreaterThan(5120);
    expect(readBytes).toBeLessThan(5120 + 2048);
    await vi.waitFor(() => expect(closed).toBe(true));
    expect(written).toBeLessThan(100_000);
  });

  it('honours a smaller maxBytes', async () => {
    const id = documentRoute('/small-limit');
    expect(failure(await testFetcher({ maxBytes: 50 }).fetch(id))).toMatch(/the limit is 50/);
    expect((await testFetcher().fetch(id)).ok).toBe(true);
  });

  it('gives up on a server that does not answer in time', async () => {
    let arrived = () => {};
    const reached = new Promise<void>((resolve) => (arrived = resolve));
    const id = route('/silent', () => arrived());
    expect(failure(await atDeadline(id, 300, reached))).toMatch(/within 300 ms/);
  });

  it('counts the body against the same deadline', async () => {
    let arrived = () => {};
    const reached = new Promise<void>((resolve) => (arrived = resolve));
    const id = route('/trickle', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      // the rest never comes
      res.write('{"client_id":', () => arrived());
    });
    expect(failure(await atDeadline(id, 300, reached))).toMatch(/within 300 ms/);
  });

  it('counts DNS against the same deadline', async () => {
    const id = documentRoute('/slow-dns');
    let asked = () => {};
    const reached = new Promise<void>((resolve) => (asked = resolve));
    const lookup = () => (asked(), new Promise<never>(() => {}));
    expect(failure(await atDeadline(id, 300, reached, { lookup }))).toMatch(/within 300 ms/);
  });

  it('does not follow redirects', async () => {
    const target = documentRoute('/redirect-target');
    const id = route('/redirect', (_req, res) => res.writeHead(302, { location: target }).end());
    const description = failure(await testFetcher().fetch(id));
    expect(description).toMatch(/redirect \(HTTP 302/);
    expect(description).toMatch(/not followed/);
    expect(hitCount('/redirect-target')).toBe(0);
  });

  it('accepts only status 200', async () => {
    const id = route('/gone', (_req, res) => res.writeHead(404, { 'content-type': 'application/json' }).end('{}'));
    expect(failure(await testFetcher().fetch(id))).toMatch(/HTTP status 404; only 200/);
  });

  it('requires application/json', async () => {
    const html = route('/html', (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html></html>'));
    expect(failure(await testFetcher().fetch(html))).toMatch(/served as text\/html; it must be application\/json/);
    const lookalike = `${base}/lookalike`;
    route('/lookalike', (_req, res) => sendJson(res, claudeDocument(lookalike), { 'content-type': 'application/jsonp' }));
    expect(failure(await testFetcher().fetch(lookalike))).toMatch(/application\/jsonp/);
    const none = `${base}/no-type`;
    route('/no-type', (_req, res) => res.writeHead(200).end(JSON.stringify(claudeDocument(none))));
    expect(failure(await testFetcher().fetch(none))).toMatch(/no content type/);
  });

  it('explains invalid JSON', async () => {
    const id = route('/broken-json', (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"client_id": '));
    expect(failure(await testFetcher().fetch(id))).toMatch(
      new RegExp(`^The client metadata document at ${id.replace(/[.]/g, '\\.')} is not valid JSON: `),
    );
  });

  it('requires the document client_id to equal the URL exactly', async () => {
    const id = route('/mismatch', (_req, res) => sendJson(res, claudeDocument(`${base}/mismatch/`)));
    expect(failure(await testFetcher().fetch(id))).toMatch(/names a different client_id .*mismatch\/\)/);
    const other = route('/someone-else', (_req, res) => sendJson(res, claudeDocument('https://claude.ai/oauth/mcp-oauth-client-metadata')));
    expect(failure(await testFetcher().fetch(other))).toMatch(/different client_id/);
  });

  it('explains a document without redirect_uris', async () => {
    const id = route('/no-redirects', (_req, res) =>
      sendJson(res, { ...claudeDocument(`${base}/no-redirects`), redirect_uris: undefined }),
    );
    expect(failure(await testFetcher().fetch(id))).toMatch(/is not valid: redirect_uris is required/);
  });

  it('explains unsafe redirect URIs', async () => {
    const js = route('/js-redirect', (_req, res) =>
      sendJson(res, { ...claudeDocument(`${base}/js-redirect`), redirect_uris: ['javascript:alert(1)'] }),
    );
    expect(failure(await testFetcher().fetch(js))).toMatch(/redirect_uris\.0: javascript:alert\(1\) uses the scheme javascript/);
    const plain = route('/http-redirect', (_req, res) =>
      sendJson(res, { ...claudeDocument(`${base}/http-redirect`), redirect_uris: ['http://evil.example/cb'] }),
    );
    expect(failure(await testFetcher().fetch(plain))).toMatch(
      /redirect_uris\.0: http:\/\/evil\.example\/cb uses http for a host that is not loopback/,
    );
  });
});

describe('caching', () => {
  it('serves the second fetch from the cache without a request', async () => {
    const id = documentRoute('/cached');
    const fetcher = testFetcher();
    expect(await fetcher.fetch(id)).toMatchObject({ ok: true, fromCache: false });
    expect(await fetcher.fetch(id)).toMatchObject({ ok: true, fromCache: true });
    expect(hitCount('/cached')).toBe(1);
    expect(lookupCalls).toHaveLength(1);
  });

  it.each([
    ['max-age=120', 119, 121],
    ['public, max-age=300', 299, 301],
    ['max-age=5', 59, 61], // clamped up to minCacheSeconds
    ['no-store', 59, 61], // minCacheSeconds
    ['max-age=999999999', 86_399, 86_401], // clamped down to maxCacheSeconds
    [undefined, 3599, 3601], // defaultCacheSeconds
  ])('keeps a document served with Cache-Control %s until it expires', async (cacheControl, stillCached, refetched) => {
    const path = `/max-age-${String(cacheControl).replace(/[^a-z0-9]/gi, '-')}`;
    const id = documentRoute(path, cacheControl ? { 'cache-control': cacheControl } : {});
    let clock = 1_000_000;
    const fetcher = testFetcher({ now: () => clock });
    await fetcher.fetch(id);
    clock += stillCached * 1000;
    expect(await fetcher.fetch(id)).toMatchObject({ ok: true, fromCache: true });
    expect(hitCount(path)).toBe(1);
    clock = 1_000_000 + refetched * 1000;
    expect(await fetcher.fetch(id)).toMatchObject({ ok: true, fromCache: false });
    expect(hitCount(path)).toBe(2);
  });

  it('serves the last good document when the host fails (stale-if-error), within limits', async () => {
    let mode: 'good' | 'down' | 'gone' = 'good';
    const id = route('/flaky', (_req, res) => {
      if (mode === 'good') sendJson(res, claudeDocument(id), { 'cache-control': 'max-age=60' });
      else if (mode === 'down') res.writeHead(503, { 'content-type': 'text/plain' }).end('down');
      else res.writeHead(404).end();
    });
    let clock = 1_000_000;
    const fetcher = testFetcher({ now: () => clock, staleIfErrorSeconds: 600 });
    expect((await fetcher.fetch(id)).ok).toBe(true);
    mode = 'down';
    clock += 61_000;
    expect(await fetcher.fetch(id)).toMatchObject({ ok: true, fromCache: true, document: { client_name: 'Claude' } });
    expect(hitCount('/flaky')).toBe(2);
    // The failure is remembered for a few seconds; meanwhile the stale document is still served, without a request.
    clock += 1000;
    expect(await fetcher.fetch(id)).toMatchObject({ ok: true, fromCache: true, document: { client_name: 'Claude' } });
    expect(hitCount('/flaky')).toBe(2);
    // Past the stale window the failure shows.
    clock += 600_000;
    expect(failure(await fetcher.fetch(id))).toMatch(/HTTP status 503/);
  });

  it('does not serve a stale document once the host says it is gone', async () => {
    let gone = false;
    const id = route('/removed', (_req, res) => {
      if (gone) res.writeHead(404).end();
      else sendJson(res, claudeDocument(id), { 'cache-control': 'max-age=60' });
    });
    let clock = 1_000_000;
    const fetcher = testFetcher({ now: () => clock });
    expect((await fetcher.fetch(id)).ok).toBe(true);
    gone = true;
    clock += 61_000;
    expect(failure(await fetcher.fetch(id))).toMatch(/HTTP status 404/);
  });

  it('remembers a failure for a few seconds only', async () => {
    let broken = true;
    const id = route('/fixed-later', (_req, res) => {
      if (broken) res.writeHead(500).end();
      else sendJson(res, claudeDocument(id));
    });
    let clock = 1_000_000;
    const fetcher = testFetcher({ now: () => clock });
    expect(failure(await fetcher.fetch(id))).toMatch(/HTTP status 500/);
    expect(failure(await fetcher.fetch(id))).toMatch(/HTTP status 500/);
    expect(hitCount('/fixed-later')).toBe(1);
    broken = false;
    clock += 10_000;
    expect(await fetcher.fetch(id)).toMatchObject({ ok: true, fromCache: false });
    expect(hitCount('/fixed-later')).toBe(2);
  });

  it('shares one request between concurrent fetches of the same URL', async () => {
    // The answer waits until every fetch has started, so none of them can find it already cached.
    const waiting: http.ServerResponse[] = [];
    const id = route('/concurrent', (_req, res) => void waiting.push(res));
    const fetcher = testFetcher();
    const fetches = Array.from({ length: 5 }, () => fetcher.fetch(id));
    await vi.waitFor(() => expect(waiting.length).toBeGreaterThan(0), { timeout: 10_000, interval: 10 });
    for (const res of waiting) sendJson(res, claudeDocument(id));
    const outcomes = await Promise.all(fetches);
    expect(outcomes.every((outcome) => outcome.ok)).toBe(true);
    expect(hitCount('/concurrent')).toBe(1);
    expect(lookupCalls).toHaveLength(1);
  });

  it('evicts the least recently used entry beyond maxEntries', async () => {
    const a = documentRoute('/lru-a');
    const b = documentRoute('/lru-b');
    const c = documentRoute('/lru-c');
    const fetcher = testFetcher({ maxEntries: 2 });
    await fetcher.fetch(a);
    await fetcher.fetch(b);
    expect(await fetcher.fetch(a)).toMatchObject({ fromCache: true }); // a is now the most recent
    await fetcher.fetch(c); // evicts b
    expect(await fetcher.fetch(a)).toMatchObject({ fromCache: true });
    expect(await fetcher.fetch(b)).toMatchObject({ fromCache: false });
    expect(hitCount('/lru-a')).toBe(1);
    expect(hitCount('/lru-b')).toBe(2);
  });
});
