// Process entry: read the environment, open the store, listen where AppAPI expects us.
import fs from 'node:fs';
import { ConfigError, connectorUrl, loadConfig } from './config.js';
import { buildApp, nextcloudFor } from './server.js';
import { migrate, openDatabase } from './store/database.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const db = openDatabase(config.storageDir);
  migrate(db);
  const nextcloud = nextcloudFor(config);
  const app = await buildApp({ config, nextcloud, db });

  if (config.listen.kind === 'socket') {
    // A socket left over from a crashed run would make listen fail with EADDRINUSE.
    fs.rmSync(config.listen.path, { force: true });
    await app.listen({ path: config.listen.path });
  } else {
    await app.listen({ host: config.listen.host, port: config.listen.port });
  }
  for (const warning of config.warnings) app.log.warn(warning);
  app.log.info(
    { connectorUrl: connectorUrl(config.publicBaseUrl), nextcloud: config.nextcloudUrl, responseMode: config.responseMode },
    `${config.appDisplayName} ${config.appVersion} ready`,
  );

  const shutdown = async (signal: string) => {
    app.log.info({ signal }, 'shutting down');
    // Docker kills a container 10 s after SIGTERM. Closing answers every request in flight and ends open streams
    // at once; a connection that still lingers after that is not worth waiting for.
    setTimeout(() => {
      app.log.warn('connections still open after 3 s; exiting anyway');
      process.exit(0);
    }, 3000).unref();
    await app.close();
    db.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(78); // EX_CONFIG
  }
  process.stderr.write(`MCP Gateway failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
