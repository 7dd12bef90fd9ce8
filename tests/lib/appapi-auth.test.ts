// The header check's parts the gateway's hook does not show: the Docker Socket Proxy's credentials and secrets that
// differ only in length. The rest is tested through the hook (tests/src/http/appapi-auth.test.ts).
import type { IncomingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import { DSP_HAPROXY_USER, restoreClientAuthorization, verifyAppApiHeaders } from '../../lib/appapi/auth.js';

const basic = (credentials: string, scheme = 'Basic') => `${scheme} ${Buffer.from(credentials).toString('base64')}`;

describe('verifyAppApiHeaders', () => {
  it('refuses a secret that is a prefix or an extension of the right one', () => {
    const expected = { appId: 'example', appSecret: 'right-secret' };
    const headers = (secret: string) => ({
      'ex-app-id': 'example',
      'ex-app-version': '1.0.0',
      'authorization-app-api': Buffer.from(`:${secret}`).toString('base64'),
    });
    expect(verifyAppApiHeaders(headers('right-secret'), expected)).toEqual({ userId: '', registeredVersion: '1.0.0' });
    for (const secret of ['right', 'right-secret-and-more', ''])
      expect(verifyAppApiHeaders(headers(secret), expected)).toMatchObject({ code: 'wrong_secret' });
    // The kept hash follows a change of the expected secret.
    expect(verifyAppApiHeaders(headers('right-secret'), { ...expected, appSecret: 'rotated' })).toMatchObject({ code: 'wrong_secret' });
  });
});

describe('restoreClientAuthorization', () => {
  const restored = (headers: IncomingHttpHeaders) => {
    restoreClientAuthorization(headers);
    return headers;
  };

  it("puts the client's header back when the proxy's credentials came, whatever the scheme's case", () => {
    for (const scheme of ['Basic', 'basic', 'BASIC']) {
      expect(restored({ authorization: basic(`${DSP_HAPROXY_USER}:password`, scheme), 'x-original-authorization': 'Bearer t' })).toEqual({
        authorization: 'Bearer t',
      });
    }
    expect(restored({ authorization: basic(`${DSP_HAPROXY_USER}:password`) })).toEqual({});
  });

  it('drops X-Original-Authorization a client sent itself', () => {
    expect(restored({ authorization: 'Bearer own', 'x-original-authorization': 'Bearer other' })).toEqual({ authorization: 'Bearer own' });
    expect(restored({ authorization: basic('someone:password'), 'x-original-authorization': 'Bearer other' })).toEqual({
      authorization: basic('someone:password'),
    });
    expect(restored({ 'x-original-authorization': 'Bearer other' })).toEqual({});
  });
});
