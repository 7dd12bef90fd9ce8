// The simulator, a 10,000-entry folder on its storage, and the app process, started the way the figures need them:
// first through a recording proxy (to learn which requests each tool sends Nextcloud), then restarted with the
// same secret, port and storage straight against the simulator, so no extra hop is timed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startSimulator } from '../../tests/nextcloud-sim/index.js';
import type { Simulator } from '../../tests/nextcloud-sim/index.js';
import { registerApp } from '../../tests/support/register-app.js';
import { startAppProcess } from '../../tests/support/app-process.js';
import type { AppProcess } from '../../tests/support/app-process.js';
import type { DirectApp } from './mcp.js';
import { SCOPE, USER, accessToken } from './mcp.js';
import type { RecordedRequest } from './recording-proxy.js';
import { startRecordingProxy } from './recording-proxy.js';

export const BIG_FOLDER = '/Big folder';
export const BIG_FOLDER_ENTRIES = Number(process.env.BENCH_BIG_FOLDER_ENTRIES ?? 10_000);

export interface Environment {
  sim: Simulator;
  app: AppProcess;
  direct: DirectApp;
  token: string;
  stop(): Promise<void>;
}

/**
 * Files are made on the simulator's storage directly: its SabreDAV backend keeps user files under
 * <dataDir>/dav/<uid>/files and enters a file in its file cache the first time a PROPFIND meets it.
 */
function makeBigFolder(dataDir: string): void {
  const folder = path.join(dataDir, 'dav', USER, 'files', BIG_FOLDER.slice(1));
  fs.mkdirSync(folder, { recursive: true });
  for (let index = 0; index < BIG_FOLDER_ENTRIES; index++) {
    fs.writeFileSync(path.join(folder, `note-${String(index).padStart(5, '0')}.txt`), `Note ${index}\n`);
  }
}

/** Runs `record` with the app behind a recording proxy, then leaves the app running straight against the simulator. */
export async function startEnvironment(
  record: (app: DirectApp, token: string, capture: <T>(work: () => Promise<T>) => Promise<RecordedRequest[]>) => Promise<void>,
): Promise<Environment> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-gateway-bench-'));
  const sim = await startSimulator({ dataDir });
  makeBigFolder(dataDir);
  const proxy = await startRecordingProxy(sim.url);
  // Production's log level unless told otherwise: request logging is part of what a call costs.
  // The public base is the simulator's in both runs, so tokens (issuer, audience) stay valid across the restart.
  const env = {
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
    MCP_GATEWAY_PUBLIC_URL: `${sim.url}/index.php/apps/app_api/proxy/mcp_gateway`,
  };
  let app = await startAppProcess({ nextcloudUrl: proxy.url, env });
  const cleanup = async () => {
    await app.stop();
    await proxy.close();
    await sim.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await registerApp(sim, { secret: app.secret, port: app.port! });
    const direct: DirectApp = { url: `http://127.0.0.1:${app.port}`, appId: 'mcp_gateway', version: app.version, secret: app.secret };
    const token = await accessToken(direct, USER, SCOPE);
    await record(direct, token, async (work) => {
      proxy.start();
      await work();
      return proxy.stop();
    });
    // A crash keeps the storage (signing keys, grants): the token stays valid after the restart.
    await app.crash();
    app = await startAppProcess({
      nextcloudUrl: sim.url,
      env,
      restart: { secret: app.secret, port: app.port, storageDir: app.storageDir },
    });
    await proxy.close();
    return { sim, app, direct, token, stop: cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
