// The app registered in a simulated Nextcloud the way an admin does it (occ app_api:app:register), reached
// through the PHP proxy (manual-install daemon, TCP) or through HaRP (unix socket).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Simulator, SimulatorOptions } from '../nextcloud-sim/index.js';
import { startSimulator } from '../nextcloud-sim/index.js';
import { registerApp } from './register-app.js';
import type { AppProcess } from './app-process.js';
import { HARP_SHARED_KEY, startAppProcess } from './app-process.js';

export type ProxyKind = 'php' | 'harp';

export interface Deployment {
  kind: ProxyKind;
  sim: Simulator;
  app: AppProcess;
  /** The app's public base URL (issuer) and the connector URL clients use. */
  base: string;
  connector: string;
  url(suffix: string): string;
  /** Kills the app process (SIGKILL) and starts it again on the same storage, secret and port. */
  crashAndRestart(): Promise<void>;
  stop(): Promise<void>;
}

export async function deploy(
  kind: ProxyKind,
  options: {
    /** The app's extra environment; a function when it depends on the simulator (its URL). */
    env?: Record<string, string> | ((sim: Simulator) => Promise<Record<string, string>>);
    sim?: SimulatorOptions;
  } = {},
): Promise<Deployment> {
  const sim = await startSimulator({ dav: false, ...options.sim });
  const env = typeof options.env === 'function' ? await options.env(sim) : options.env;
  let socketDir: string | undefined;
  let app: AppProcess;
  let base: string;
  let socketPath: string | undefined;
  if (kind === 'harp') {
    socketDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-gateway-sock-'));
    socketPath = path.join(socketDir, 'exapp.sock');
    base = `${sim.url}/exapps/mcp_gateway`;
    // Behind HaRP the admin sets the public URL to the HaRP form; the app cannot tell which prefix was used.
    app = await startAppProcess({ nextcloudUrl: sim.url, harpSocket: socketPath, env: { MCP_GATEWAY_PUBLIC_URL: base, ...env } });
    sim.addDaemon({ name: 'harp_proxy', host: 'appapi-harp', harp: true, socketPath, haproxyPassword: HARP_SHARED_KEY });
    await registerApp(sim, { daemon: 'harp_proxy', secret: app.secret, port: 23000 });
  } else {
    base = `${sim.url}/index.php/apps/app_api/proxy/mcp_gateway`;
    app = await startAppProcess({ nextcloudUrl: sim.url, env });
    await registerApp(sim, { secret: app.secret, port: app.port! });
  }
  const deployment: Deployment = {
    kind,
    sim,
    app,
    base,
    connector: `${base}/mcp`,
    url: (suffix) => `${base}/${suffix.replace(/^\//, '')}`,
    async crashAndRestart() {
      await deployment.app.crash();
      deployment.app = await startAppProcess({
        nextcloudUrl: sim.url,
        harpSocket: socketPath,
        env: kind === 'harp' ? { MCP_GATEWAY_PUBLIC_URL: base, ...env } : env,
        restart: deployment.app,
      });
    },
    async stop() {
      await deployment.app.stop();
      await sim.stop();
      if (socketDir) fs.rmSync(socketDir, { recursive: true, force: true });
    },
  };
  return deployment;
}

/**
 * Resolves once the app has read its admin settings again after this call, so whatever Nextcloud holds now is in
 * force. Until the app's copy expires, requests are answered from it; the first read after that is the one waited
 * for (the probes keep asking, and the read is let through once seen).
 */
export async function settingsReread(deployment: Deployment, limitMs = 10_000): Promise<void> {
  const reads = deployment.sim.holdRequests((method, path) => method === 'POST' && path.endsWith('/ex-app/config/get-values'));
  const probes: Array<Promise<unknown>> = [];
  const until = Date.now() + limitMs;
  try {
    while (reads.held === 0) {
      if (Date.now() > until) throw new Error(`the app did not read its settings again within ${limitMs} ms`);
      probes.push(fetch(`${deployment.base}/.well-known/oauth-protected-resource/mcp`).then((response) => response.arrayBuffer()));
      await Promise.race([reads.reached(), new Promise((resolve) => setTimeout(resolve, 20))]);
    }
  } finally {
    reads.release();
  }
  await Promise.all(probes);
}
