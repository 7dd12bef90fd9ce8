// The app built in the test's own process (buildApp, as src/main.ts builds it) against the simulator, reached with
// `inject` or on a loopback port, with requests signed the way AppAPI's proxies sign them. Faster than the real
// process for tests that send many requests; tests about the process itself use app-process.ts.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { AppConfig } from '../../src/config.js';
import { loadConfig } from '../../src/config.js';
import type { AppDeps } from '../../src/server.js';
import { buildApp } from '../../src/server.js';
import { migrate, openDatabase } from '../../src/store/database.js';
import type { Db } from '../../src/store/database.js';
import type { SimulatorOptions } from '../nextcloud-sim/index.js';
import type { LibFixture } from './lib-fixture.js';
import { startLibFixture } from './lib-fixture.js';

export const APP_VERSION = '0.1.0';

export interface InProcessApp {
  app: FastifyInstance;
  fixture: LibFixture;
  config: AppConfig;
  db: Db;
  /** The headers AppAPI adds to every request it forwards: the signed-in user, or '' for nobody. */
  appApi(user: string): Record<string, string>;
  stop(): Promise<void>;
}

export async function startInProcessApp(
  options: {
    sim?: SimulatorOptions;
    env?: Record<string, string>;
    deps?: Partial<Pick<AppDeps, 'logger' | 'timeouts' | 'tools' | 'clientDocuments'>>;
  } = {},
): Promise<InProcessApp> {
  const fixture = await startLibFixture({ dav: false, ...options.sim });
  const storage = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-gateway-inproc-'));
  const config = loadConfig({
    APP_SECRET: fixture.secret,
    APP_VERSION,
    NEXTCLOUD_URL: fixture.sim.url,
    APP_PERSISTENT_STORAGE: storage,
    LOG_LEVEL: 'silent',
    ...options.env,
  });
  const db = openDatabase(storage);
  migrate(db);
  const app = await buildApp({ config, nextcloud: fixture.nextcloud, db, logger: false, ...options.deps });
  return {
    app,
    fixture,
    config,
    db,
    appApi: (user) => ({
      'ex-app-id': config.appId,
      'ex-app-version': APP_VERSION,
      'authorization-app-api': Buffer.from(`${user}:${fixture.secret}`).toString('base64'),
      'aa-version': '35.0.0',
    }),
    async stop() {
      await app.close();
      db.close();
      await fixture.sim.stop();
      fs.rmSync(storage, { recursive: true, force: true });
    },
  };
}
