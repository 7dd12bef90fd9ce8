// Registers the app with the simulated Nextcloud as an admin does: `occ app_api:app:register` with the manifest
// (scripts/json-info.ts) carrying this process's secret and port, waiting for its initialisation to finish.
import { jsonInfo } from '../../scripts/json-info.js';
import type { Simulator } from '../nextcloud-sim/index.js';
import type { OccResult } from '../nextcloud-sim/appapi/occ.js';

export interface Registration {
  secret: string;
  /** The port in the manifest: the app's own on a manual-install daemon; behind HaRP the one the socket stands for. */
  port: number;
  /** The deploy daemon: manual_install unless named. */
  daemon?: string;
}

/** What occ answered, failures included (for tests of a refused registration). */
export function occRegister(sim: Pick<Simulator, 'occ'>, { secret, port, daemon = 'manual_install' }: Registration): Promise<OccResult> {
  return sim.occ(['app_api:app:register', 'mcp_gateway', daemon, '--json-info', jsonInfo({ secret, port }), '--wait-finish']);
}

/** Registers the app, or throws with what occ said. Returns occ's output. */
export async function registerApp(sim: Pick<Simulator, 'occ'>, registration: Registration): Promise<string> {
  const result = await occRegister(sim, registration);
  if (result.code !== 0) throw new Error(`occ app_api:app:register failed: ${result.output}`);
  return result.output;
}
