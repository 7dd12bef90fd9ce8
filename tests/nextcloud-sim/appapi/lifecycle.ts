// What AppAPI does around an ExApp's life: register (heartbeat, /init, progress, enable), enable, disable,
// unregister. Timing follows AppAPIService: heartbeat every second, /enabled with a 60 s timeout.
import { randomBytes } from 'node:crypto';
import type { ExApp, SimContext } from '../context.js';
import { HAPROXY_USER, appApiHeaders, readBody, requestExApp } from '../proxy/upstream.js';
import { deployEnvironment } from './deploy-env.js';
import type { Manifest } from './manifest.js';

export interface Daemon {
  name: string;
  /** manual-install: the host AppAPI dials with the app's port. Docker daemons: the daemon's host (informational). */
  host: string;
  harp: boolean;
  /** For HaRP daemons in the simulator: the unix socket the ExApp listens on (HaRP's FRP tunnel end). */
  socketPath?: string;
  /** Default manual-install. docker-install without harp is a Docker Socket Proxy (deprecated from 34). */
  acceptsDeployId?: 'manual-install' | 'docker-install';
  protocol?: 'http' | 'https';
  /** The daemon's nextcloud_url (NEXTCLOUD_URL of deployed apps); default: the simulator's URL. */
  nextcloudUrl?: string;
  /** Docker network; AppAPI stores `host` when none is given. */
  net?: string;
  /** Docker Socket Proxy: the HAProxy password (`--haproxy_password`); HaRP: the shared key. */
  haproxyPassword?: string;
  computeDevice?: 'cpu' | 'cuda' | 'rocm';
  /** HaRP: `--harp_frp_address host:port`, `--harp_exapp_direct`. */
  harpFrpAddress?: string;
  harpExappDirect?: boolean;
}

export interface RegisterOptions {
  waitFinish?: boolean;
  /** Heartbeat attempts, one per second (AppAPI: 600). */
  heartbeatAttempts?: number;
  /** `--env NAME=VALUE` deploy options, as given (declared names only take effect). */
  env?: Record<string, string>;
}

/** What AppAPI keeps of a registration: the manifest, the daemon and the deploy options. */
export interface Registration {
  manifest: Manifest;
  daemon: Daemon;
  env: Record<string, string>;
}

export class AppApiLifecycle {
  readonly daemons = new Map<string, Daemon>([['manual_install', { name: 'manual_install', host: '127.0.0.1', harp: false }]]);
  readonly log: { appId: string; level: number; message: string }[] = [];
  /** appId -> what AppAPI stored at registration. */
  readonly registrations = new Map<string, Registration>();
  private readonly initWaiters = new Map<string, (() => void)[]>();

  constructor(private readonly ctx: SimContext) {}

  async register(manifest: Manifest, daemonName: string, options: RegisterOptions = {}): Promise<ExApp> {
    const daemon = this.daemons.get(daemonName);
    if (!daemon) throw new Error(`Daemon config ${daemonName} not found.`);
    if (this.ctx.state.apps.has(manifest.id)) throw new Error(`ExApp ${manifest.id} is already registered.`);
    const docker = daemon.acceptsDeployId === 'docker-install';
    if (!daemon.harp && !manifest.port) {
      throw new Error(
        docker
          ? 'The simulator deploys no containers: give the port of the app process in --json-info ("port").'
          : 'A manual-install registration needs "port" in --json-info.',
      );
    }
    const app: ExApp = {
      id: manifest.id,
      name: manifest.name,
      version: manifest.version,
      secret: manifest.secret ?? randomBytes(96).toString('base64url').slice(0, 128),
      // A Docker Socket Proxy's containers are the local app processes here (AppAPI would dial
      // <protocol>://<daemon host>:<port> over the proxy's HAProxy).
      target: daemon.harp
        ? { socketPath: daemon.socketPath ?? '/tmp/exapp.sock' }
        : { protocol: 'http', host: docker ? '127.0.0.1' : daemon.host, port: manifest.port! },
      daemon: daemon.name,
      harp: daemon.harp,
      harpSigning: daemon.harp
        ? {
            sharedKey: daemon.haproxyPassword ?? '',
            // HarpService::getExAppHost: the app's own name only for a container HaRP dials directly.
            host: daemon.harpExappDirect && docker ? manifest.id : '127.0.0.1',
            port: manifest.port ?? 23000,
          }
        : undefined,
      enabled: false,
      status: { deploy: 0, init: 0, action: '', type: 'install', error: '' },
      routes: manifest.routes,
    };
    // DockerActions::resolveExAppUrl: Basic credentials only for a remote Docker Socket Proxy over https.
    if (docker && !daemon.harp && daemon.protocol === 'https' && daemon.haproxyPassword) {
      app.upstreamAuth = { user: HAPROXY_USER, password: daemon.haproxyPassword };
    }
    this.ctx.state.apps.set(app.id, app);
    this.registrations.set(app.id, { manifest, daemon, env: { ...(options.env ?? {}) } });
    if (manifest.routeInsertFailure) {
      // ExAppService::registerExApp: registerExAppRoutes() logs the failed insert and returns null, then
      // ->getRoutes() on null is an uncaught Error. The row and the routes inserted before stay behind.
      throw new Error(`Call to a member function getRoutes() on null (${manifest.routeInsertFailure})`);
    }
    app.status.deploy = 100;
    if (!(await this.heartbeat(app, options.heartbeatAttempts ?? 30))) {
      app.status.error = 'ExApp heartbeat failed';
      throw new Error(`ExApp ${app.id} heartbeat check failed. Make sure the ExApp is running and reachable.`);
    }
    const finished = this.waitForInit(app.id);
    await this.dispatchInit(app);
    if (options.waitFinish) {
      await finished;
      if (app.status.error) throw new Error(`ExApp ${app.id} initialization failed: ${app.status.error}`);
    }
    return app;
  }

  /** AppAPIService::heartbeatExApp: 200 with {"status":"ok"} and nothing else counts. */
  async heartbeat(app: ExApp, attempts: number): Promise<boolean> {
    for (let attempt = 0; attempt < attempts; attempt++) {
      try {
        const headers: Record<string, string> = { accept: 'application/json', 'content-type': 'application/json' };
        if (app.harp) Object.assign(headers, appApiHeaders(app, '', this.ctx.appApiVersion, 'CLI'));
        const response = await requestExApp(app, { method: 'GET', path: '/heartbeat', headers, timeoutMs: 30_000 });
        const body = (await readBody(response)).toString('utf8');
        if (response.statusCode === 200 && (JSON.parse(body) as { status?: unknown }).status === 'ok') return true;
      } catch {
        // not up yet
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    return false;
  }

  private async dispatchInit(app: ExApp): Promise<void> {
    app.status.init = 0;
    app.enabled = true; // dispatchExAppInitInternal enables the row before POST /init
    const response = await requestExApp(app, {
      method: 'POST',
      path: '/init',
      headers: appApiHeaders(app, '', this.ctx.appApiVersion, 'CLI'),
      timeoutMs: 30_000,
    }).catch(async (error: Error) => {
      await this.reportProgress(app, 0, `Failed to initialize ExApp: ${error.message}`);
      return null;
    });
    if (!response) return;
    response.resume();
    const status = response.statusCode ?? 0;
    if (status === 404 || status === 501) {
      await this.reportProgress(app, 100, '');
    } else if (status >= 400) {
      await this.reportProgress(app, 0, `Failed to initialize ExApp: HTTP ${status}`);
    }
  }

  /** The ex-app/status OCS call. Progress 100 runs enableExApp() synchronously, inside that request. */
  async reportProgress(app: ExApp, progress: number, error: string): Promise<void> {
    if (error) {
      app.status.error = error;
      app.status.init = progress;
      app.enabled = false;
      this.finishInit(app.id);
      return;
    }
    if (app.status.init === 100 && progress !== 0) return;
    if (progress === 0) app.status.error = '';
    app.status.init = progress;
    if (progress === 100) {
      app.status.type = '';
      const failure = await this.enable(app);
      if (failure) app.status.error = failure;
      this.finishInit(app.id);
    }
  }

  /**
   * AppAPIService::enableExApp: the row is enabled first (so the app's own calls during /enabled pass
   * authentication), then /enabled is called, and a non-empty error disables it again.
   * Returns the error message, or '' when the app is enabled.
   */
  async enable(app: ExApp): Promise<string> {
    if (!(await this.heartbeat(app, 3))) {
      app.enabled = false;
      return 'ExApp heartbeat failed';
    }
    app.enabled = true;
    const message = await this.callEnabled(app, 1);
    if (message !== '') app.enabled = false;
    return message;
  }

  async disable(app: ExApp): Promise<string> {
    const message = await this.callEnabled(app, 0);
    if (message === '') app.enabled = false;
    return message;
  }

  unregister(appId: string): void {
    this.ctx.state.apps.delete(appId);
    this.ctx.state.settingsForms.delete(appId);
    this.registrations.delete(appId);
  }

  /**
   * The environment AppAPI injects into the container of a registered app (DockerActions::buildDeployEnvs), or
   * null for manual-install daemons, where AppAPI injects nothing.
   */
  deployEnvironment(appId: string): Record<string, string> | null {
    const app = this.ctx.state.apps.get(appId);
    const registration = this.registrations.get(appId);
    if (!app || !registration) throw new Error(`ExApp ${appId} is not registered through the lifecycle.`);
    const { manifest, daemon, env } = registration;
    if (daemon.acceptsDeployId !== 'docker-install') return null;
    return deployEnvironment(manifest, {
      appApiVersion: this.ctx.generation,
      secret: app.secret,
      // HaRP-deployed apps listen on their socket; AppAPI still assigns and passes a port.
      port: manifest.port ?? 23000,
      nextcloudUrl: daemon.nextcloudUrl ?? this.ctx.baseUrl(),
      net: daemon.net,
      computeDevice: daemon.computeDevice,
      harp: daemon.harp
        ? { sharedKey: daemon.haproxyPassword ?? '', frpAddress: daemon.harpFrpAddress ?? '', exappDirect: daemon.harpExappDirect }
        : undefined,
      env,
    });
  }

  /** PUT /enabled: the HTTP status is ignored, only the JSON "error" field counts. */
  private async callEnabled(app: ExApp, enabled: 0 | 1): Promise<string> {
    try {
      const response = await requestExApp(app, {
        method: 'PUT',
        path: `/enabled?enabled=${enabled}`,
        headers: { ...appApiHeaders(app, '', this.ctx.appApiVersion, 'CLI'), 'accept-language': 'en' },
        timeoutMs: 60_000,
      });
      // AppAPI json_decodes the body and fails only on a non-empty "error" (AppAPIService::enableExApp): a body that
      // is not JSON, or has no such field, counts as success.
      let parsed: unknown;
      try {
        parsed = JSON.parse((await readBody(response)).toString('utf8'));
      } catch {
        return '';
      }
      const error = parsed !== null && typeof parsed === 'object' ? (parsed as { error?: unknown }).error : undefined;
      if (!error) return '';
      return typeof error === 'string' ? error : JSON.stringify(error);
    } catch (error) {
      return `Failed to ${enabled ? 'enable' : 'disable'} ExApp: ${(error as Error).message}`;
    }
  }

  private waitForInit(appId: string): Promise<void> {
    return new Promise((resolve) => this.initWaiters.set(appId, [...(this.initWaiters.get(appId) ?? []), resolve]));
  }

  private finishInit(appId: string): void {
    for (const resolve of this.initWaiters.get(appId) ?? []) resolve();
    this.initWaiters.delete(appId);
  }
}
