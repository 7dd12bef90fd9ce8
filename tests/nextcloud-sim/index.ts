// The Nextcloud simulator: one loopback HTTP server that behaves like Nextcloud + AppAPI for everything
// MCP Gateway uses (login, OCS, WebDAV/CalDAV through SabreDAV, Talk, unified search, both proxies).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import formbody from '@fastify/formbody';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { appApiGeneration, DEFAULT_APPAPI_VERSION } from './appapi/generations.js';
import type { AppApiGeneration } from './appapi/generations.js';
import { AppApiLifecycle } from './appapi/lifecycle.js';
import type { Daemon } from './appapi/lifecycle.js';
import { runOcc } from './appapi/occ.js';
import type { OccResult } from './appapi/occ.js';
import type { AccessLevel, ExApp, ExAppRoute, SimContext, SimIdentity, SimState } from './context.js';
import { answerLoginFailure, coreEntry } from './core-login.js';
import { handleDav } from './dav-bridge.js';
import { PASSPHRASE_COOKIE, SESSION_COOKIE, resolveIdentity } from './identity.js';
import type { ResolvedIdentity } from './identity.js';
import { startPhpBackend } from './php-backend.js';
import type { PhpBackend } from './php-backend.js';
import { answerMaintenance, availableInMaintenance } from './maintenance.js';
import { HARP_PATTERN, HarpBlacklist, SIM_HARP_KEY, handleHarp } from './proxy/harp.js';
import { PHP_PROXY_PATTERN, handlePhpProxy } from './proxy/php-proxy.js';
import { PhpWorkers } from './proxy/php-workers.js';
import { registerAppApiOcsRoutes } from './routes/appapi-ocs.js';
import { isAdmin } from './state.js';
import { registerLoginRoutes } from './routes/login.js';
import { SettingsPage, registerDeclarativeSettingsRoutes } from './routes/declarative-settings.js';
import { registerProvisioningRoutes } from './routes/provisioning.js';
import { createState } from './state.js';
import { registerDeckRoutes } from './deck/routes.js';
import { registerNotesRoutes } from './notes/routes.js';
import { registerTalkRoutes, seedTalk } from './talk.js';
import { Throttler } from './throttle.js';
import { registerSearchRoutes } from './unified-search.js';

export { appApiGeneration, DEFAULT_APPAPI_VERSION } from './appapi/generations.js';
export type { AppApiGeneration } from './appapi/generations.js';
export { deployEnvironment, parseEnvOptions } from './appapi/deploy-env.js';
export type { DeployEnvironmentOptions } from './appapi/deploy-env.js';
export { TWO_FACTOR_CODE } from './routes/login.js';

export interface SimulatorOptions {
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Keeps DAV data across runs when given; a fresh temporary directory otherwise (removed on stop). */
  dataDir?: string;
  logLevel?: string;
  /** false skips the PHP DAV backend (WebDAV/CalDAV then answer 503), for tests that only need proxies or OCS. */
  dav?: boolean;
  /**
   * The AppAPI release to play, e.g. '32.0.5', '32.0.9', '32.0.10', '33.0.3', '33.0.4', '34.0.3' (default
   * '35.0.0'). Route matching, manifest parsing and deploy environments follow that release
   * (appapi/generations.ts); the Nextcloud version reported is the same release.
   */
  appApiVersion?: string;
  /**
   * How long HaRP waits for Nextcloud to say who a request's user is before it refuses the request with 401
   * (HaRP's 25 s by default); shorter lets a test hold the lookup past it quickly.
   */
  harpUserLookupTimeoutMs?: number;
}

export interface Simulator {
  url: string;
  state: SimState;
  ctx: SimContext;
  lifecycle: AppApiLifecycle;
  throttler: Throttler;
  /** HaRP's per-IP blacklist (failures, bans). */
  harpBlacklist: HarpBlacklist;
  /**
   * The PHP proxy's hold on PHP workers: `busyWorkers` counts proxied requests whose ExApp response has not
   * ended yet, including those whose client has gone away.
   */
  phpProxy: { readonly busyWorkers: number };
  /**
   * Holds every request to Nextcloud matching `match` (before any routing) until `release()`: a Nextcloud that is
   * slow to answer, so tests can keep a call in flight for as long as they need.
   */
  holdRequests(match: (method: string, path: string) => boolean): RequestHold;
  /** The AppAPI release played and what differs in it. */
  generation: AppApiGeneration;
  /** Nextcloud's settings pages: render a section, save a field as DeclarativeSection.vue does. */
  settingsPage: SettingsPage;
  occ(args: string[]): Promise<OccResult>;
  /**
   * The environment AppAPI injects into the container of an app registered on a Docker daemon (Docker Socket
   * Proxy or HaRP), including --env overrides; null for manual-install daemons (AppAPI injects nothing).
   */
  deployEnvironment(appId: string): Record<string, string> | null;
  /**
   * Puts Nextcloud into maintenance mode (`occ maintenance:mode --on`) or takes it out: status.php says so,
   * everything else answers 503 (maintenance.ts). HaRP is no Nextcloud and stays up, but its user lookup fails.
   */
  setMaintenance(on: boolean): void;
  /** Turns two-factor authentication on or off for a user (the login then asks for TWO_FACTOR_CODE). */
  setTwoFactor(userId: string, enabled: boolean): void;
  /** Registers an enabled ExApp directly (no lifecycle calls), for tests of the client library. */
  addExApp(app: { id: string; version: string; secret: string; routes?: Partial<ExAppRoute>[]; target?: ExApp['target'] }): ExApp;
  addDaemon(daemon: Daemon): void;
  setUserEnabled(userId: string, enabled: boolean): void;
  /**
   * Takes the user backend holding this account down or up again (an LDAP outage): every request as the user is then
   * refused as not logged in (401), while the account still exists, stays enabled and is listed.
   */
  setUserBackendDown(userId: string, down: boolean): void;
  /** A Cookie header value of a fresh browser session of this user (what the login form would set, second factor done). */
  sessionCookie(userId: string): string;
  stop(): Promise<void>;
}

const DAV_PATH = /^\/remote\.php\/dav(\/|$|\?)/;

export interface RequestHold {
  /** Requests held so far (released ones included). */
  readonly held: number;
  /** Resolves once a request is held (at once if one was). */
  reached(): Promise<void>;
  /** Lets every held request, and every later match, go on. */
  release(): void;
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const host = options.host ?? '127.0.0.1';
  const temporary = !options.dataDir;
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'nextcloud-sim-'));
  const php: PhpBackend =
    options.dav === false
      ? { origin: 'http://127.0.0.1:9', token: '', stop: async () => {} }
      : await startPhpBackend(path.join(dataDir, 'dav'));
  const generation = appApiGeneration(options.appApiVersion ?? DEFAULT_APPAPI_VERSION);
  const state = createState();
  seedTalk(state, Math.floor(Date.now() / 1000));
  let baseUrl = '';
  const ctx: SimContext = {
    state,
    baseUrl: () => baseUrl,
    dav: { origin: php.origin, token: php.token },
    appApiVersion: generation.reportedVersion,
    generation,
    serverVersion: generation.server,
  };
  const throttler = new Throttler();
  const blacklist = new HarpBlacklist();
  const phpWorkers = new PhpWorkers();
  const lifecycle = new AppApiLifecycle(ctx);
  let maintenance = false;

  const identify = (request: http.IncomingMessage, path: string, tryBasic: boolean): ResolvedIdentity =>
    resolveIdentity(state, request.headers, path, request.socket.remoteAddress ?? '', throttler, {
      tryBasic,
      statusExemptWhileInitializing: generation.auth.statusExemptWhileInitializing,
    });
  /** Who each request routed to Fastify is (decided once, before routing). */
  const identities = new WeakMap<http.IncomingMessage, ResolvedIdentity>();

  const holds = new Set<{ match: (method: string, path: string) => boolean; gate: Promise<void>; onHeld: () => void }>();
  const holdRequests = (match: (method: string, path: string) => boolean): RequestHold => {
    let release = () => {};
    let held = 0;
    let onReached = () => {};
    const reachedOnce = new Promise<void>((resolve) => (onReached = resolve));
    const hold = { match, gate: new Promise<void>((resolve) => (release = resolve)), onHeld: () => (held++, onReached()) };
    holds.add(hold);
    return {
      get held() {
        return held;
      },
      reached: () => reachedOnce,
      release() {
        holds.delete(hold);
        release();
      },
    };
  };

  let fastifyHandler: http.RequestListener | undefined;
  // Proxies and DAV need every method and the raw body stream, so they bypass Fastify's router.
  const server = http.createServer((request, response) => {
    const waiting = [...holds].filter((hold) => hold.match(request.method ?? 'GET', (request.url ?? '/').split('?')[0]!));
    if (waiting.length > 0) {
      for (const hold of waiting) hold.onHeld();
      void Promise.all(waiting.map((hold) => hold.gate)).then(() => route(request, response));
      return;
    }
    route(request, response);
  });
  function route(request: http.IncomingMessage, response: http.ServerResponse): void {
    const url = request.url ?? '/';
    const path = url.split('?')[0]!;
    const clientIp = request.socket.remoteAddress ?? '';
    const fail = (error: unknown) => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
      response.end(`Simulator error: ${(error as Error).message}`);
    };
    if (HARP_PATTERN.test(url)) {
      // HaRP is no Nextcloud: it asks Nextcloud (user-info, an index.php route) over HTTP where it needs a user.
      handleHarp(request, response, { ctx, blacklist, clientIp, nextcloudTimeoutMs: options.harpUserLookupTimeoutMs }).catch(fail);
      return;
    }
    const entry = coreEntry(path);
    // Maintenance is checked before the login (base.php, ocs/v1.php, remote.php).
    if (maintenance && !availableInMaintenance(path, ctx.serverVersion.major)) return answerMaintenance(request, response, entry);
    // Nextcloud core: OC::handleLogin runs before any controller; a failed Basic login ends the request there.
    const identity = identify(request, path, entry !== 'none');
    if (identity.loginFailure && (entry === 'index' || entry === 'ocs')) {
      answerLoginFailure(request, response, identity.loginFailure, entry);
      return;
    }
    if (PHP_PROXY_PATTERN.test(url)) {
      handlePhpProxy(request, response, { ctx, throttler, workers: phpWorkers, identity, clientIp }).catch(fail);
    } else if (DAV_PATH.test(url)) {
      handleDav(request, response, ctx, identity);
    } else {
      identities.set(request, identity);
      fastifyHandler!(request, response);
    }
  }

  const app: FastifyInstance = Fastify({
    logger: options.logLevel ? { level: options.logLevel } : false,
    serverFactory: (handler) => {
      fastifyHandler = handler;
      return server;
    },
  });
  await app.register(formbody);
  // PHP reads an empty body with a JSON content type as "no parameters"; Fastify would answer 400.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = String(body).trim();
    if (!text) return done(null, {});
    try {
      done(null, JSON.parse(text));
    } catch {
      done(Object.assign(new Error('Invalid JSON body'), { statusCode: 400 }), undefined);
    }
  });
  app.decorateRequest('nc', null as unknown as SimIdentity);
  app.addHook('onRequest', async (request) => {
    request.nc = identities.get(request.raw) ?? identify(request.raw, request.url.split('?')[0]!, false);
  });
  app.get('/.well-known/caldav', async (_request, reply) => reply.redirect('/remote.php/dav/', 301));
  app.get('/.well-known/carddav', async (_request, reply) => reply.redirect('/remote.php/dav/', 301));
  app.get('/status.php', async () => ({
    installed: true,
    maintenance,
    needsDbUpgrade: false,
    version: `${ctx.serverVersion.string}.1`,
    versionstring: ctx.serverVersion.string,
    edition: '',
    productname: 'Nextcloud',
    extendedSupport: false,
  }));
  // AppAPI's HarpController::getUserInfo: who the request's login is, as HaRP asks it with its shared key.
  app.get('/index.php/apps/app_api/harp/user-info', async (request, reply) => {
    const refuse = () => {
      // Guessing apps or the key counts toward brute-force protection.
      throttler.registerAttempt(request.raw.socket.remoteAddress ?? '', 'app_api');
      return reply.code(401).send({ message: 'Harp shared key is not valid' });
    };
    const exApp = state.apps.get((request.query as { appId?: string }).appId ?? '');
    if (!exApp) return refuse();
    const key = request.headers['harp-shared-key'];
    if (!key || key !== (exApp.harpSigning?.sharedKey ?? SIM_HARP_KEY)) return refuse();
    const user = request.nc.user;
    if (!user) return { user_id: '', access_level: 0 };
    if (!user.enabled) return { user_id: user.id, access_level: 0 };
    return { user_id: user.id, access_level: isAdmin(user) ? 2 : 1 };
  });
  registerLoginRoutes(app, ctx);
  registerProvisioningRoutes(app, ctx);
  registerAppApiOcsRoutes(app, ctx, lifecycle);
  registerDeclarativeSettingsRoutes(app, ctx);
  registerTalkRoutes(app, ctx);
  registerSearchRoutes(app, ctx);
  registerNotesRoutes(app, ctx);
  registerDeckRoutes(app, ctx);

  await app.listen({ host, port: options.port ?? 0 });
  const address = server.address() as { port: number };
  baseUrl = `http://${host}:${address.port}`;

  const sessionCookie = (userId: string) => {
    if (!state.users.has(userId)) throw new Error(`No simulated user ${userId}`);
    const sessionId = randomBytes(24).toString('hex');
    const passphrase = randomBytes(24).toString('hex');
    state.sessions.set(sessionId, { userId, passphrase, requestToken: randomBytes(24).toString('base64url') });
    return `${SESSION_COOKIE}=${sessionId}; ${PASSPHRASE_COOKIE}=${passphrase}`;
  };

  return {
    url: baseUrl,
    state,
    ctx,
    lifecycle,
    throttler,
    harpBlacklist: blacklist,
    phpProxy: phpWorkers,
    holdRequests,
    generation,
    settingsPage: new SettingsPage(ctx, sessionCookie),
    occ: (args) => runOcc(ctx, lifecycle, args),
    deployEnvironment: (appId) => lifecycle.deployEnvironment(appId),
    setMaintenance(on) {
      maintenance = on;
    },
    setTwoFactor(userId, enabled) {
      const user = state.users.get(userId);
      if (!user) throw new Error(`No simulated user ${userId}`);
      user.twoFactor = enabled;
    },
    addExApp({ id, version, secret, routes = [], target }) {
      const exApp: ExApp = {
        id,
        name: id,
        version,
        secret,
        target: target ?? { protocol: 'http', host: '127.0.0.1', port: 9 },
        daemon: 'manual_install',
        harp: false,
        enabled: true,
        status: { deploy: 100, init: 100, action: '', type: '', error: '' },
        routes: routes.map((route) => ({
          url: route.url ?? '^/.*$',
          verb: route.verb ?? 'GET,POST,PUT,DELETE',
          access_level: (route.access_level ?? 0) as AccessLevel,
          headers_to_exclude: route.headers_to_exclude ?? [],
          bruteforce_protection: route.bruteforce_protection ?? [],
        })),
      };
      state.apps.set(id, exApp);
      return exApp;
    },
    addDaemon: (daemon) => void lifecycle.daemons.set(daemon.name, daemon),
    setUserEnabled(userId, enabled) {
      const user = state.users.get(userId);
      if (!user) throw new Error(`No simulated user ${userId}`);
      user.enabled = enabled;
    },
    setUserBackendDown(userId, down) {
      const user = state.users.get(userId);
      if (!user) throw new Error(`No simulated user ${userId}`);
      user.backendDown = down;
    },
    sessionCookie,
    async stop() {
      await app.close();
      await php.stop();
      if (temporary) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
