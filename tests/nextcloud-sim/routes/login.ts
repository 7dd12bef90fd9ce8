// Nextcloud's browser login: a form at /index.php/login?redirect_url=..., a session cookie pair, and logout.
// Users with two-factor authentication (SimUser.twoFactor, `occ twofactorauth:enable <uid> totp`) get a second
// step, /index.php/login/challenge/totp, whose code is TWO_FACTOR_CODE. As in Nextcloud (core TwoFactorCommand,
// TwoFactorChallengeController::solveChallenge), the redirect_url travels to that page as a query parameter and
// back in its form, and is then passed through urldecode() once more before the redirect: `+`, %2B, %26, %23 in
// the return URL's own query are corrupted.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { SimContext } from '../context.js';
import { PASSPHRASE_COOKIE, SESSION_COOKIE, parseCookies } from '../identity.js';

const loginForm = z.object({
  user: z.string().trim().min(1),
  password: z.string().min(1),
  requesttoken: z.string().min(1),
  redirect_url: z.string().optional(),
});

function escape(value: string): string {
  return value.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}

/** The one code the simulated TOTP provider accepts. */
export const TWO_FACTOR_CODE = '000000';
const TWO_FACTOR_PROVIDER = 'totp';

/** Nextcloud only follows a redirect_url inside the instance; anything else goes to the default page. */
function safeRedirect(target: string | undefined): string {
  if (!target || !target.startsWith('/') || target.startsWith('//') || target.includes('\\')) return '/index.php/apps/dashboard/';
  return target;
}

/** LoginController::generateRedirect also refuses any redirect_url containing "@". */
function loginRedirect(target: string | undefined): string {
  return target?.includes('@') ? '/index.php/apps/dashboard/' : safeRedirect(target);
}

/** PHP's urldecode(): "+" is a space, %XX a byte, anything else (including a malformed %) stays. */
export function phpUrldecode(value: string): string {
  const input = Buffer.from(value, 'utf8');
  const bytes: number[] = [];
  const hex = (byte: number | undefined) => byte !== undefined && /[0-9a-f]/i.test(String.fromCharCode(byte));
  for (let i = 0; i < input.length; i++) {
    const byte = input[i]!;
    if (byte === 0x2b) bytes.push(0x20);
    else if (byte === 0x25 && hex(input[i + 1]) && hex(input[i + 2])) {
      bytes.push(parseInt(String.fromCharCode(input[i + 1]!, input[i + 2]!), 16));
      i += 2;
    } else bytes.push(byte);
  }
  return Buffer.from(bytes).toString('utf8');
}

/** http_build_query() / urlencode(): spaces as "+", everything but [A-Za-z0-9_.-] percent-encoded. */
function phpUrlencode(value: string): string {
  return encodeURIComponent(value)
    .replace(/[!'()*~]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`)
    .replaceAll('%20', '+');
}

/** Login-form CSRF tokens, keyed by a pre-session cookie (Nextcloud keeps them in the anonymous session). */
const pendingTokens = new Map<string, string>();
const PRELOGIN_COOKIE = 'ocsim_prelogin';

function page(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-cache, no-store, must-revalidate')
    .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
    .send(`<!doctype html><html><head><meta charset="utf-8"><title>Nextcloud</title>
<style>body{font-family:sans-serif;background:#0082c9;color:#fff}form{background:#fff;color:#222;max-width:20rem;margin:4rem auto;padding:1.5rem;border-radius:8px}
input{display:block;width:100%;margin:.3rem 0 .8rem;padding:.4rem}button{padding:.5rem 1rem}.warning{color:#b00}</style></head>
<body>${body}</body></html>`);
}

export function registerLoginRoutes(app: FastifyInstance, ctx: SimContext): void {
  const showForm = async (request: { query: unknown; headers: Record<string, unknown> }, reply: FastifyReply, error = '') => {
    const redirect = String((request.query as Record<string, unknown>)?.redirect_url ?? '');
    const preLogin = randomBytes(16).toString('hex');
    const token = randomBytes(24).toString('base64url');
    pendingTokens.set(preLogin, token);
    // Forms that are never submitted must not pile up: forget the oldest beyond 1000.
    for (const stale of [...pendingTokens.keys()].slice(0, Math.max(0, pendingTokens.size - 1000))) pendingTokens.delete(stale);
    reply.header('set-cookie', `${PRELOGIN_COOKIE}=${preLogin}; Path=/; HttpOnly; SameSite=Lax`);
    return page(
      reply,
      error ? 401 : 200,
      `<form method="post" action="/index.php/login" id="login">
<h1>Log in to Nextcloud</h1>${error ? `<p class="warning" id="login-error">${escape(error)}</p>` : ''}
<label>Account name or email<input name="user" id="user" autocomplete="username" autofocus></label>
<label>Password<input name="password" id="password" type="password" autocomplete="current-password"></label>
<input type="hidden" name="requesttoken" value="${escape(token)}">
<input type="hidden" name="redirect_url" value="${escape(redirect)}">
<button type="submit" id="submit-form">Log in</button></form>`,
    );
  };

  for (const path of ['/index.php/login', '/login']) {
    app.get(path, async (request, reply) => {
      if (request.nc.user && request.nc.via === 'session') {
        return reply.redirect(loginRedirect(String((request.query as Record<string, unknown>).redirect_url ?? '')), 303);
      }
      return showForm(request, reply);
    });
  }

  app.post('/index.php/login', async (request, reply) => {
    const form = loginForm.safeParse(request.body);
    const cookies = parseCookies(request.headers.cookie);
    const expectedToken = pendingTokens.get(cookies.get(PRELOGIN_COOKIE) ?? '');
    if (!form.success || !expectedToken || !sameString(form.data.requesttoken, expectedToken)) {
      return showForm(
        { query: { redirect_url: form.success ? form.data.redirect_url : '' }, headers: request.headers },
        reply,
        'Please try again (the form expired).',
      );
    }
    pendingTokens.delete(cookies.get(PRELOGIN_COOKIE) ?? '');
    const user = [...ctx.state.users.values()].find((candidate) => candidate.id === form.data.user || candidate.email === form.data.user);
    if (!user || !sameString(form.data.password, user.password)) {
      return showForm({ query: { redirect_url: form.data.redirect_url }, headers: request.headers }, reply, 'Wrong login or password.');
    }
    if (!user.enabled) {
      return showForm({ query: { redirect_url: form.data.redirect_url }, headers: request.headers }, reply, 'User disabled');
    }
    const sessionId = randomBytes(24).toString('hex');
    const passphrase = randomBytes(24).toString('hex');
    const pendingTwoFactor = user.twoFactor === true;
    ctx.state.sessions.set(sessionId, {
      userId: user.id,
      requestToken: randomBytes(24).toString('base64url'),
      passphrase,
      pendingTwoFactor,
    });
    reply.header('set-cookie', [
      `${SESSION_COOKIE}=${sessionId}; Path=/; HttpOnly; SameSite=Lax`,
      `${PASSPHRASE_COOKIE}=${passphrase}; Path=/; HttpOnly; SameSite=Lax`,
      `${PRELOGIN_COOKIE}=; Path=/; Max-Age=0`,
    ]);
    if (pendingTwoFactor) {
      // TwoFactorCommand: one provider -> straight to its challenge; redirect_url as a (once-encoded) parameter.
      const query = form.data.redirect_url !== undefined ? `?redirect_url=${phpUrlencode(form.data.redirect_url)}` : '';
      return reply.redirect(`/index.php/login/challenge/${TWO_FACTOR_PROVIDER}${query}`, 303);
    }
    return reply.redirect(loginRedirect(form.data.redirect_url), 303);
  });

  /** The session waiting for its second factor, from the request's cookies. */
  const pendingSession = (cookieHeader: string | undefined) => {
    const cookies = parseCookies(cookieHeader);
    const session = ctx.state.sessions.get(cookies.get(SESSION_COOKIE) ?? '');
    return session && session.pendingTwoFactor && cookies.get(PASSPHRASE_COOKIE) === session.passphrase ? session : undefined;
  };
  const failedChallenges = new Set<string>();

  app.get<{ Params: { provider: string }; Querystring: { redirect_url?: string } }>(
    '/index.php/login/challenge/:provider',
    async (request, reply) => {
      const session = pendingSession(request.headers.cookie);
      if (!session) return reply.redirect('/index.php/login', 303);
      if (request.params.provider !== TWO_FACTOR_PROVIDER) return reply.redirect('/index.php/login/selectchallenge', 303);
      const redirect = request.query.redirect_url;
      const failed = failedChallenges.delete(session.passphrase);
      return page(
        reply,
        200,
        `<form method="post" action="/index.php/login/challenge/${TWO_FACTOR_PROVIDER}" id="two-factor">
<h1>Two-factor authentication</h1>${failed ? '<p class="warning" id="challenge-error">Error while validating your second factor</p>' : ''}
<label>Authentication code<input name="challenge" id="challenge" autocomplete="one-time-code" inputmode="numeric" autofocus></label>
${redirect !== undefined ? `<input type="hidden" name="redirect_url" value="${escape(redirect)}">` : ''}
<button type="submit" id="submit-challenge">Submit</button></form>`,
      );
    },
  );

  app.post<{ Params: { provider: string } }>('/index.php/login/challenge/:provider', async (request, reply) => {
    const session = pendingSession(request.headers.cookie);
    if (!session) return reply.redirect('/index.php/login', 303);
    const body = (request.body ?? {}) as Record<string, unknown>;
    const redirect = typeof body.redirect_url === 'string' ? body.redirect_url : undefined;
    if (request.params.provider !== TWO_FACTOR_PROVIDER || String(body.challenge ?? '').trim() !== TWO_FACTOR_CODE) {
      failedChallenges.add(session.passphrase);
      const query = redirect !== undefined ? `?redirect_url=${phpUrlencode(redirect)}` : '';
      return reply.redirect(`/index.php/login/challenge/${TWO_FACTOR_PROVIDER}${query}`, 303);
    }
    session.pendingTwoFactor = false;
    // solveChallenge: getAbsoluteURL(urldecode($redirect_url)) — a second decoding, and no "@" check here.
    return reply.redirect(redirect !== undefined ? safeRedirect(phpUrldecode(redirect)) : '/index.php/apps/dashboard/', 303);
  });

  app.get('/index.php/logout', async (request, reply) => {
    const cookies = parseCookies(request.headers.cookie);
    const sessionId = cookies.get(SESSION_COOKIE) ?? '';
    const session = ctx.state.sessions.get(sessionId);
    const token = String((request.query as Record<string, unknown>).requesttoken ?? '');
    // Nextcloud's logout needs the session's CSRF token, so a foreign page cannot log the user out.
    if (session && !sameString(token, session.requestToken)) return reply.code(412).send('CSRF check failed');
    ctx.state.sessions.delete(sessionId);
    reply.header('set-cookie', [`${SESSION_COOKIE}=; Path=/; Max-Age=0`, `${PASSPHRASE_COOKIE}=; Path=/; Max-Age=0`]);
    return reply.redirect('/index.php/login?clear=1', 303);
  });

  app.get('/index.php/apps/dashboard/', async (request, reply) => {
    if (!request.nc.user || request.nc.via !== 'session')
      return reply.redirect('/index.php/login?redirect_url=/index.php/apps/dashboard/', 303);
    const session = ctx.state.sessions.get(parseCookies(request.headers.cookie).get(SESSION_COOKIE) ?? '');
    return page(
      reply,
      200,
      `<form><h1 id="dashboard-user">Logged in as ${escape(request.nc.user.displayName)} (${escape(request.nc.user.id)})</h1>
<p><a href="/index.php/logout?requesttoken=${encodeURIComponent(session?.requestToken ?? '')}">Log out</a></p></form>`,
    );
  });
  app.get('/', async (_request, reply) => reply.redirect('/index.php/apps/dashboard/', 303));
}

function sameString(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
