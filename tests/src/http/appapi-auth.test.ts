import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretsEqual } from '../../../src/core/secrets.js';
import { appApiAuth, verifyAppApiHeaders } from '../../../src/http/appapi-auth.js';

const expected = { appId: 'mcp_gateway', appSecret: 'correct-horse-battery-staple-0123456789' };
const sign = (user: string, secret = expected.appSecret) => Buffer.from(`${user}:${secret}`).toString('base64');
const headers = (overrides: Record<string, string> = {}) => ({
  'ex-app-id': 'mcp_gateway',
  'ex-app-version': '0.1.0',
  'authorization-app-api': sign('alice'),
  'aa-version': '32',
  ...overrides,
});

describe('verifyAppApiHeaders', () => {
  it('accepts the right secret and returns the acting user (possibly empty)', () => {
    expect(verifyAppApiHeaders(headers(), expected)).toEqual({ userId: 'alice', registeredVersion: '0.1.0' });
    expect(verifyAppApiHeaders(headers({ 'authorization-app-api': sign('') }), expected)).toEqual({
      userId: '',
      registeredVersion: '0.1.0',
    });
  });

  it('splits on the first colon only, so secrets may contain colons', () => {
    const withColon = { ...expected, appSecret: 'a:b:c-long-enough-secret' };
    expect(verifyAppApiHeaders(headers({ 'authorization-app-api': sign('bob', withColon.appSecret) }), withColon)).toMatchObject({
      userId: 'bob',
    });
  });

  it('rejects a wrong secret, a wrong or spoofed app id and missing headers', () => {
    expect(verifyAppApiHeaders(headers({ 'authorization-app-api': sign('alice', 'wrong') }), expected)).toMatchObject({
      code: 'wrong_secret',
    });
    expect(verifyAppApiHeaders(headers({ 'ex-app-id': 'other_app' }), expected)).toMatchObject({ code: 'wrong_app' });
    // What Node makes of a client-sent EX-APP-ID next to AppAPI's own.
    expect(verifyAppApiHeaders(headers({ 'ex-app-id': 'mcp_gateway, mcp_gateway' }), expected)).toMatchObject({ code: 'wrong_app' });
    expect(verifyAppApiHeaders(headers({ 'ex-app-version': '' }), expected)).toMatchObject({ code: 'missing_headers' });
    expect(verifyAppApiHeaders({ 'ex-app-id': 'mcp_gateway', 'ex-app-version': '1' }, expected)).toMatchObject({ code: 'missing_headers' });
    expect(verifyAppApiHeaders(headers({ 'authorization-app-api': Buffer.from('no-colon').toString('base64') }), expected)).toMatchObject({
      code: 'bad_authorization',
    });
  });

  it('does not validate AA-VERSION (HaRP always sends 32)', () => {
    expect(verifyAppApiHeaders(headers({ 'aa-version': 'garbage' }), expected)).toMatchObject({ userId: 'alice' });
  });

  it('compares secrets of different lengths without throwing', () => {
    expect(secretsEqual('a', 'a much longer secret')).toBe(false);
    expect(secretsEqual('same', 'same')).toBe(true);
  });
});

describe('appApiAuth plugin', () => {
  const app = Fastify();
  beforeAll(async () => {
    await app.register(appApiAuth, expected);
    app.get('/heartbeat', { config: { unauthenticated: true } }, async () => ({ status: 'ok' }));
    app.get('/who', async (request) => ({
      user: request.appApi.userId,
      authorization: request.headers.authorization ?? null,
      original: request.headers['x-original-authorization'] ?? null,
    }));
    await app.ready();
  });
  afterAll(() => app.close());

  it('lets the heartbeat through without headers', async () => {
    const response = await app.inject({ url: '/heartbeat' });
    expect(response.statusCode).toBe(200);
  });

  it('answers 401 with a clear body and runs nothing else on a wrong secret', async () => {
    const response = await app.inject({ url: '/who', headers: headers({ 'authorization-app-api': sign('alice', 'nope') }) });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual({ error: 'wrong_secret', message: 'AppAPI authentication failed: the app secret does not match' });
  });

  it('also guards unknown paths, so they reveal nothing without authentication', async () => {
    expect((await app.inject({ url: '/nope' })).statusCode).toBe(401);
    expect((await app.inject({ url: '/nope', headers: headers() })).statusCode).toBe(404);
  });

  it('hands the verified user to the route', async () => {
    const response = await app.inject({ url: '/who', headers: headers() });
    expect(response.json()).toEqual({ user: 'alice', authorization: null, original: null });
  });

  it("puts the client's Authorization back from X-Original-Authorization (remote Docker Socket Proxy over https)", async () => {
    const proxyBasic = `Basic ${Buffer.from('app_api_haproxy_user:dsp-password').toString('base64')}`;
    const moved = await app.inject({
      url: '/who',
      headers: headers({ authorization: proxyBasic, 'x-original-authorization': 'Bearer client-token' }),
    });
    expect(moved.json()).toEqual({ user: 'alice', authorization: 'Bearer client-token', original: null });
    // The proxy's own credentials never reach a route, also when the client sent no Authorization at all.
    const none = await app.inject({ url: '/who', headers: headers({ authorization: proxyBasic }) });
    expect(none.json()).toEqual({ user: 'alice', authorization: null, original: null });
    // A client's own Basic header (HaRP passes it on) is left alone.
    const clientBasic = `Basic ${Buffer.from('mcp-client:secret').toString('base64')}`;
    expect((await app.inject({ url: '/who', headers: headers({ authorization: clientBasic }) })).json()).toMatchObject({
      authorization: clientBasic,
    });
  });

  it('ignores an X-Original-Authorization a client sent itself (no proxy credentials beside it)', async () => {
    const forged = await app.inject({
      url: '/who',
      headers: headers({ authorization: 'Bearer own-token', 'x-original-authorization': 'Bearer someone-elses' }),
    });
    expect(forged.json()).toEqual({ user: 'alice', authorization: 'Bearer own-token', original: null });
    const alone = await app.inject({ url: '/who', headers: headers({ 'x-original-authorization': 'Bearer someone-elses' }) });
    expect(alone.json()).toEqual({ user: 'alice', authorization: null, original: null });
  });

  it('honours X-Original-Authorization only after AppAPI authentication passed', async () => {
    const response = await app.inject({
      url: '/who',
      headers: headers({ 'authorization-app-api': sign('alice', 'nope'), 'x-original-authorization': 'Bearer client-token' }),
    });
    expect(response.statusCode).toBe(401);
  });
});
