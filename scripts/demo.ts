// `make demo`: the simulated Nextcloud, the app registered through the occ flow, the connector URL printed.
// Runs until interrupted, then stops everything it started.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../tests/nextcloud-sim/php-backend.js';
import { startSimulator } from '../tests/nextcloud-sim/index.js';
import { occRegister } from '../tests/support/register-app.js';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

async function main(): Promise<void> {
  const demoDir = path.join(root, '.demo-data');
  fs.rmSync(demoDir, { recursive: true, force: true });
  fs.mkdirSync(demoDir, { recursive: true });
  const wanted = Number(process.env.SIM_PORT ?? 8080);
  const simulator = await startSimulator({ port: wanted, dataDir: path.join(demoDir, 'nextcloud') }).catch(
    (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EADDRINUSE') throw error;
      process.stdout.write(`Port ${wanted} is busy; using a free one.\n`);
      return startSimulator({ port: 0, dataDir: path.join(demoDir, 'nextcloud') });
    },
  );
  const appPort = await freePort();
  const secret = randomBytes(48).toString('base64url');
  const version = /<version>([^<]+)<\/version>/.exec(fs.readFileSync(path.join(root, 'appinfo', 'info.xml'), 'utf8'))![1]!;
  const logFile = fs.openSync(path.join(demoDir, 'app.log'), 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src', 'main.ts')], {
    cwd: root,
    env: {
      ...process.env,
      APP_ID: 'mcp_gateway',
      APP_SECRET: secret,
      APP_VERSION: version,
      APP_HOST: '127.0.0.1',
      APP_PORT: String(appPort),
      NEXTCLOUD_URL: simulator.url,
      APP_PERSISTENT_STORAGE: path.join(demoDir, 'app'),
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    },
    stdio: ['ignore', logFile, logFile],
  });

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('\nStopping the app and the simulated Nextcloud...\n');
    child.kill('SIGTERM');
    await simulator.stop();
    process.exit(code);
  };
  process.once('SIGINT', () => void stop(0));
  process.once('SIGTERM', () => void stop(0));
  child.once('exit', (code) => {
    if (!stopping) {
      process.stderr.write(`The app exited (${code}); see ${path.relative(root, path.join(demoDir, 'app.log'))}\n`);
      void stop(1);
    }
  });

  const registration = await occRegister(simulator, { secret, port: appPort });
  if (registration.code !== 0) {
    process.stderr.write(`Registration failed: ${registration.output}\n`);
    return stop(1);
  }
  const connector = `${simulator.url}/index.php/apps/app_api/proxy/mcp_gateway/mcp`;
  process.stdout.write(
    [
      '',
      'MCP Gateway demo is running against a simulated Nextcloud.',
      `  occ app_api:app:register: ${registration.output}`,
      `  Nextcloud (simulated):    ${simulator.url}/   (files, calendars, tasks, contacts, Notes, Deck, Talk, tags, versions, trash)`,
      `  App landing page:         ${simulator.url}/index.php/apps/app_api/proxy/mcp_gateway/`,
      `  App log:                  ${path.relative(root, path.join(demoDir, 'app.log'))}`,
      '  Demo logins (password = user name): admin (admin), alice, bob (group staff), carol (group interns)',
      '',
      'Connector URL:',
      connector,
      '',
      'Press Ctrl+C to stop.',
      '',
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`Demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
