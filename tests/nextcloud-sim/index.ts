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
import { AppApiLifecycle } from './appapi/lifecycle.js';
import type { Daemon } from './appapi/lifecycle.js';
import { runOcc } from './appapi/occ.js';
import type { OccResult } from './appapi/occ.js';
import type { AccessLevel, ExApp, ExAppRoute, SimContext, SimIdentity, SimState } from './context.js';
import { handleDav } from './dav-bridge.js';
import { PASSPHRASE_COOKIE, SESSION_COOKIE, resolveIdentity } from './identity.js';
import type { ResolvedIdentity } from './identity.js';
import { startPhpBackend } from './php-backend.js';
import type { PhpBackend } from './php-backend.js';
import { HARP_PATTERN, HarpBlacklist, handleHarp } from './proxy/harp.js';
import { PHP_PROXY_PATTERN, handlePhpProxy } from './proxy/php-proxy.js';
import { registerAppApiOcsRoutes } from './routes/appapi-ocs.js';
import { registerLoginRoutes } from './routes/login.js';
import { registerDeclarativeSettingsRoutes } from './routes/declarative-settings.js';
import { registerProvisioningRoutes } from './routes/provisioning.js';
import { createState } from './state.js';
import { registerTalkRoutes, seedTalk } from './talk.js';
import { Throttler } from './throttle.js';
import { registerSearchRoutes } from './unified-search.js';

export interface SimulatorOptions {
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Keeps DAV data across runs when given; a fresh temporary directory otherwise (removed on stop). */
  dataDir?: string;
  logLevel?: string;
  /** false skips the PHP DAV backend (WebDAV/CalDAV then answer 503), for tests that only need proxies or OCS. */
  dav?: boolean;
}

export interface Simulator {
  url: string;
  state: SimState;
  ctx: SimContext;
  lifecycle: AppApiLifecycle;
  throttler: Throttler;
  occ(args: string[]): Promise<OccResult>;
  /** Registers an enabled ExApp directly (no lifecycle calls), for tests of the client library. */
  addExApp(app: { id: string; version: string; secret: string; routes?: Partial<ExAppRoute>[]; target?: ExApp['target'] }): ExApp;
  addDaemon(daemon: Daemon): void;
  setUserEnabled(userId: string, enabled: boolean): void;
  /** A Cookie header value of a fresh browser session of this user (what the login form would set). */
  sessionCookie(userId: string): string;
  stop(): Promise<void>;
}

const DAV_PATH = /^\/remote\.php\/dav(\/|$|\?)/;

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const host = options.host ?? '127.0.0.1';
  const temporary = !options.dataDir;
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'nextcloud-sim-'));
  const php: PhpBackend =
    options.dav === false ? { origin: 'http://127.0.0.1:9', token: '', stop: async () => {} } : await startPhpBackend(path.join(dataDir, 'dav'));
  const state = createState();
  seedTalk(state, Math.floor(Date.now() / 1000));
  let baseUrl = '';
  const ctx: SimContext = {
    state,
    baseUrl: () => baseUrl,
    dav: { origin: php.origin, token: php.token },
    appApiVersion: '35.0.0',
    serverVersion: { major: 32, minor: 0, micro: 2, string: '32.0.2' },
  };
  const throttler = new Throttler();
  const blacklist = new HarpBlacklist();
  const lifecycle = new AppApiLifecycle(ctx);

  const identify = (request: http.IncomingMessage): ResolvedIdentity =>
    resolveIdentity(state, request.headers, (request.url ?? '').split('?')[0]!, request.socket.remoteAddress ?? '', throttler);

  let fastifyHandler: http.RequestListener | undefined;
  // Proxies and DAV need every method and the raw body stream, so they bypass Fastify's router.
  const server = http.createServer((request, response) => {
    const url = request.url ?? '/';
    const clientIp = request.socket.remoteAddress ?? '';
    const fail = (error: unknown) => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' });
      response.end(`Simulator error: ${(error as Error).message}`);
    };
    if (PHP_PROXY_PATTERN.test(url)) {
      handlePhpProxy(request, response, { ctx, throttler, identity: identify(request), clientIp }).catch(fail);
    } else if (HARP_PATTERN.test(url)) {
      handleHarp(request, response, { ctx, blacklist, identity: identify(request), clientIp }).catch(fail);
    } else if (DAV_PATH.test(url)) {
      handleDav(request, response, ctx, identify(request));
    } else {
      fastifyHandler!(request, response);
    }
  });

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
    request.nc = identify(request.raw);
  });
  app.get('/.well-known/caldav', async (_request, reply) => reply.redirect('/remote.php/dav/', 301));
  app.get('/.well-known/carddav', async (_request, reply) => reply.redirect('/remote.php/dav/', 301));
  app.get('/status.php', async () => ({ installed: true, maintenance: false, needsDbUpgrade: false, version: '32.0.2.1', versionstring: ctx.serverVersion.string, edition: '', productname: 'Nextcloud', extendedSupport: false }));
  registerLoginRoutes(app, ctx);
  registerProvisioningRoutes(app, ctx);
  registerAppApiOcsRoutes(app, ctx, lifecycle);
  registerDeclarativeSettingsRoutes(app, ctx);
  registerTalkRoutes(app, ctx);
  registerSearchRoutes(app, ctx);

  await app.listen({ host, port: options.port ?? 0 });
  const address = server.address() as { port: number };
  baseUrl = `http://${host}:${address.port}`;

  return {
    url: baseUrl,
    state,
    ctx,
    lifecycle,
    throttler,
    occ: (args) => runOcc(ctx, lifecycle, args),
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
    sessionCookie(userId) {
      if (!state.users.has(userId)) throw new Error(`No simulated user ${userId}`);
      const sessionId = randomBytes(24).toString('hex');
      const passphrase = randomBytes(24).toString('hex');
      state.sessions.set(sessionId, { userId, passphrase, requestToken: randomBytes(24).toString('base64url') });
      return `${SESSION_COOKIE}=${sessionId}; ${PASSPHRASE_COOKIE}=${passphrase}`;
    },
    async stop() {
      await app.close();
      await php.stop();
      if (temporary) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
