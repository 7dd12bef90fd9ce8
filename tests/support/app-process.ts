// Starts the real app process (src/main.ts) the way AppAPI's manual-install daemon expects it to run, so
// integration tests exercise the same binary, environment parsing and listeners as production.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../nextcloud-sim/php-backend.js';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface AppProcess {
  secret: string;
  version: string;
  /** TCP port, or undefined when listening on a unix socket. */
  port?: number;
  socketPath?: string;
  storageDir: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves once the output contains the text (log lines arrive through a pipe, a moment after the fact). */
  waitForOutput(text: string, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
  /** Kills the process at once (SIGKILL), keeping its storage, as a crash or power loss would. */
  crash(): Promise<void>;
  process: ChildProcess;
}

function heartbeatOk(port: number | undefined, socketPath: string | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.get(
      { ...(socketPath ? { socketPath } : { host: '127.0.0.1', port }), path: '/heartbeat', timeout: 1000 },
      (response) => {
        response.resume();
        resolve(response.statusCode === 200);
      },
    );
    request.on('error', () => resolve(false));
    request.on('timeout', () => request.destroy());
  });
}

/** The shared key of the simulated HaRP daemon, which AppAPI gives an app in HaRP's FRP mode (HP_SHARED_KEY). */
export const HARP_SHARED_KEY = 'test-harp-key';

export const appVersion = /<version>([^<]+)<\/version>/.exec(fs.readFileSync(path.join(root, 'appinfo', 'info.xml'), 'utf8'))![1]!;

export async function startAppProcess(options: {
  nextcloudUrl: string;
  harpSocket?: string;
  env?: Record<string, string>;
  /** To restart an app that was registered before: the same secret, port and storage. */
  restart?: Pick<AppProcess, 'secret' | 'port' | 'storageDir'>;
  /**
   * Runs the production build (`node dist/src/main.js`, made by `npm run build`) with exactly this environment
   * (and PATH), as a container started by AppAPI would, instead of the sources with the test defaults.
   */
  production?: { env: Record<string, string> };
}): Promise<AppProcess> {
  if (options.production) return startProductionBuild(options.production.env);
  const secret = options.restart?.secret ?? randomBytes(48).toString('base64url');
  const port = options.harpSocket ? undefined : (options.restart?.port ?? (await freePort()));
  const storageDir = options.restart?.storageDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-gateway-test-'));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    APP_ID: 'mcp_gateway',
    APP_SECRET: secret,
    APP_VERSION: appVersion,
    APP_HOST: '127.0.0.1',
    APP_PORT: String(port ?? 23000),
    NEXTCLOUD_URL: options.nextcloudUrl,
    APP_PERSISTENT_STORAGE: storageDir,
    LOG_LEVEL: 'debug',
    ...(options.harpSocket ? { HP_SHARED_KEY: HARP_SHARED_KEY, HP_EXAPP_SOCK: options.harpSocket } : {}),
    ...options.env,
  };
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src', 'main.ts')], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return supervise(child, { secret, version: appVersion, port, socketPath: options.harpSocket, storageDir });
}

/** The compiled app as AppAPI's container runs it; listens where the environment says (TCP or HaRP's socket). */
async function startProductionBuild(environment: Record<string, string>): Promise<AppProcess> {
  const entry = path.join(root, 'dist', 'src', 'main.js');
  if (!fs.existsSync(entry)) throw new Error('No production build: run `npm run build` first.');
  const socketPath = environment.HP_SHARED_KEY ? (environment.HP_EXAPP_SOCK ?? '/tmp/exapp.sock') : undefined;
  const child = spawn(process.execPath, [entry], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', ...environment },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return supervise(child, {
    secret: environment.APP_SECRET ?? '',
    version: environment.APP_VERSION ?? '',
    port: socketPath ? undefined : Number(environment.APP_PORT),
    socketPath,
    storageDir: environment.APP_PERSISTENT_STORAGE ?? '',
  });
}

async function supervise(
  child: ChildProcess,
  where: { secret: string; version: string; port?: number; socketPath?: string; storageDir: string },
): Promise<AppProcess> {
  const { secret, port, storageDir } = where;
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 20_000;
  // Ready means what AppAPI checks: the heartbeat answers.
  while (!(await heartbeatOk(port, where.socketPath))) {
    if (child.exitCode !== null) throw new Error(`The app exited with ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`The app did not start within 20 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    secret,
    version: where.version,
    port,
    socketPath: where.socketPath,
    storageDir,
    output: () => output,
    async waitForOutput(text, timeoutMs = 5000) {
      const until = Date.now() + timeoutMs;
      while (!output.includes(text)) {
        if (Date.now() > until) throw new Error(`The app did not log "${text}" within ${timeoutMs} ms:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    process: child,
    crash: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        const done = () => {
          fs.rmSync(storageDir, { recursive: true, force: true });
          resolve();
        };
        if (child.exitCode !== null) return done();
        child.once('exit', done);
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      }),
  };
}
