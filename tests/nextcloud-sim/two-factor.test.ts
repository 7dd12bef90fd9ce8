// Login with two-factor authentication: a second step (code TWO_FACTOR_CODE) whose final redirect URL-decodes the
// redirect_url once more, corrupting +, %2B, %26 and %23 in the return URL's query. Without 2FA it stays exact.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from './index.js';
import { TWO_FACTOR_CODE, startSimulator } from './index.js';
import { phpUrldecode } from './routes/login.js';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ dav: false });
  sim.setTwoFactor('bob', true);
});
afterAll(() => sim?.stop());

const RETURN_URL =
  '/index.php/apps/app_api/proxy/mcp_gateway/oauth/authorize?client_id=c&state=a%2Bb&scope=files.read+talk.read&note=x%26y%3Dz&frag=%23top';

/** Follows the browser's steps: form, password, (challenge), and returns the final Location and the cookies. */
async function logIn(user: string, code?: string) {
  const form = await fetch(`${sim.url}/index.php/login?redirect_url=${encodeURIComponent(RETURN_URL)}`);
  const token = /name="requesttoken" value="([^"]+)"/.exec(await form.text())![1]!;
  const preLogin = form.headers.getSetCookie()[0]!.split(';')[0]!;
  const submitted = await fetch(`${sim.url}/index.php/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: preLogin, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ user, password: user, requesttoken: token, redirect_url: RETURN_URL }),
  });
  expect(submitted.status).toBe(303);
  const cookie = submitted.headers
    .getSetCookie()
    .map((value) => value.split(';')[0]!)
    .filter((value) => !value.endsWith('='))
    .join('; ');
  const location = submitted.headers.get('location')!;
  if (code === undefined) return { location, cookie };
  const challengePage = await fetch(new URL(location, sim.url), { headers: { cookie } });
  const html = await challengePage.text();
  expect(html).toContain('name="challenge"');
  const hidden = /name="redirect_url" value="([^"]*)"/.exec(html)![1]!.replaceAll('&amp;', '&').replaceAll('&quot;', '"');
  const solved = await fetch(new URL(location, sim.url), {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ challenge: code, redirect_url: hidden }),
  });
  return { location: solved.headers.get('location')!, cookie, challenge: location };
}

const whoAmI = async (cookie: string) =>
  (await fetch(`${sim.url}/ocs/v2.php/cloud/user?format=json`, { headers: { cookie, 'ocs-apirequest': 'true' } })).status;

describe('two-factor login', () => {
  it('without 2FA the return URL comes back exactly', async () => {
    const { location, cookie } = await logIn('alice');
    expect(location).toBe(RETURN_URL);
    expect(await whoAmI(cookie)).toBe(200);
  });

  it('asks for the code, is not logged in before it, and decodes the return URL a second time', async () => {
    const pending = await logIn('bob');
    expect(pending.location).toMatch(/^\/index\.php\/login\/challenge\/totp\?redirect_url=/);
    expect(await whoAmI(pending.cookie)).toBe(401);
    const { location, cookie } = await logIn('bob', TWO_FACTOR_CODE);
    expect(location).toBe(phpUrldecode(RETURN_URL));
    expect(location).toBe(
      '/index.php/apps/app_api/proxy/mcp_gateway/oauth/authorize?client_id=c&state=a+b&scope=files.read talk.read&note=x&y=z&frag=#top',
    );
    // The state a client would read back: "a b" instead of "a+b"; `note` split in two; the fragment swallowed the rest.
    const parsed = new URL(location, 'http://x');
    expect(parsed.searchParams.get('state')).toBe('a b');
    expect(parsed.searchParams.get('note')).toBe('x');
    expect(parsed.searchParams.get('frag')).toBe('');
    expect(await whoAmI(cookie)).toBe(200);
  });

  it('sends a wrong code back to the challenge, keeping the return URL', async () => {
    const { location, challenge, cookie } = await logIn('bob', '123456');
    expect(location).toBe(challenge);
    expect(await whoAmI(cookie)).toBe(401);
    const page = await (await fetch(new URL(location, sim.url), { headers: { cookie } })).text();
    expect(page).toContain('id="challenge-error"');
  });

  it('can be switched with occ too', async () => {
    expect(await sim.occ(['twofactorauth:enable', 'carol', 'totp'])).toMatchObject({ code: 0 });
    expect((await logIn('carol')).location).toMatch(/\/login\/challenge\/totp/);
    expect(await sim.occ(['twofactorauth:disable', 'carol', 'totp'])).toMatchObject({ code: 0 });
    expect((await logIn('carol')).location).toBe(RETURN_URL);
  });
});
