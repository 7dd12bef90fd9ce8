// Shared set-up of the lib/ tests: a simulator with the app registered, and a client for it.
import type { NextcloudError } from '../../lib/index.js';
import { createNextcloud, isNextcloudError } from '../../lib/index.js';
import type { Nextcloud } from '../../lib/index.js';
import type { Simulator, SimulatorOptions } from '../nextcloud-sim/index.js';
import { startSimulator } from '../nextcloud-sim/index.js';

export interface LibFixture {
  sim: Simulator;
  secret: string;
  nextcloud: Nextcloud;
  /** A client with other credentials or timeouts against the same simulator, or one in front of it (baseUrl). */
  client(options?: { appSecret?: string; timeoutMs?: number; baseUrl?: string }): Nextcloud;
}

export async function startLibFixture(options: SimulatorOptions = {}): Promise<LibFixture> {
  const sim = await startSimulator(options);
  const secret = 'lib-test-secret-'.padEnd(64, 'x');
  sim.addExApp({ id: 'mcp_gateway', version: '0.1.0', secret });
  const client = (overrides: { appSecret?: string; timeoutMs?: number; baseUrl?: string } = {}) =>
    createNextcloud({
      baseUrl: overrides.baseUrl ?? sim.url,
      appId: 'mcp_gateway',
      appVersion: '0.1.0',
      appSecret: overrides.appSecret ?? secret,
      timeoutMs: overrides.timeoutMs ?? 10_000,
    });
  return { sim, secret, nextcloud: client(), client };
}

/** The NextcloudError a call fails with; anything else (including success) fails the test. */
export async function failure(promise: Promise<unknown>): Promise<NextcloudError> {
  try {
    await promise;
  } catch (error) {
    if (isNextcloudError(error)) return error;
    throw error;
  }
  throw new Error('expected a NextcloudError');
}
