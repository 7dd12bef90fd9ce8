// Starts the SabreDAV backend (PHP's built-in server on a private loopback port) on a freshly seeded data dir.
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const here = path.dirname(fileURLToPath(import.meta.url));
const davDir = path.join(here, 'dav');

export interface PhpBackend {
  origin: string;
  token: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function startPhpBackend(dataDir: string): Promise<PhpBackend> {
  if (!fs.existsSync(path.join(dataDir, '.seeded'))) {
    fs.mkdirSync(dataDir, { recursive: true });
    try {
      await promisify(execFile)('php', [path.join(davDir, 'seed.php'), dataDir]);
    } catch (error) {
      const { code, stderr } = error as { code?: string; stderr?: string };
      if (code === 'ENOENT')
        throw new Error(
          'The Nextcloud simulator needs PHP with SabreDAV: apt-get install php-cli php-sqlite3 php-xml php-mbstring php-sabre-dav php-sabre-vobject',
          { cause: error },
        );
      throw new Error(`Seeding the simulator's DAV data failed: ${stderr ?? String(error)}`, { cause: error });
    }
    fs.writeFileSync(path.join(dataDir, '.seeded'), new Date().toISOString());
  }
  const port = await freePort();
  const token = randomBytes(24).toString('hex');
  const child: ChildProcess = spawn(
    'php',
    [
      '-d',
      'display_errors=0',
      '-d',
      'error_reporting=0',
      '-d',
      'memory_limit=256M',
      '-S',
      `127.0.0.1:${port}`,
      path.join(davDir, 'router.php'),
    ],
    // Its own process group: php -S forks workers that outlive the master unless the whole group is stopped.
    {
      env: { ...process.env, SIM_DATA_DIR: dataDir, SIM_TOKEN: token, PHP_CLI_SERVER_WORKERS: '4' },
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    },
  );
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // already gone
    }
  };
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const origin = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`The PHP DAV backend exited (${child.exitCode}): ${stderr}`);
    try {
      const response = await fetch(`${origin}/_sim/health`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      killGroup('SIGKILL');
      throw new Error(`The PHP DAV backend did not start within 15 s: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    origin,
    token,
    stop: () =>
      new Promise<void>((resolve) => {
        killGroup('SIGTERM');
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        setTimeout(() => killGroup('SIGKILL'), 2000).unref();
      }),
  };
}
