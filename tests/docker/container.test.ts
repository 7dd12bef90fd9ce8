// The container image without a Docker engine: the scripts the image runs (docker/*.sh) are run here with sh,
// with test doubles of frpc, setpriv, chown and curl first on PATH, and the Dockerfile is read as text.
// Every process a test starts runs in its own process group, which the test kills when it ends.
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const script = (name: string) => path.join(root, 'docker', name);
const dockerfile = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8');

/** The checksums HaRP's README publishes for the official FRP 0.61.1 release archives. */
const FRP_0_61_1_SHA256 = {
  amd64: 'bff260b68ca7b1461182a46c4f34e9709ba32764eed30a15dd94ac97f50a2c40',
  arm64: 'af6366f2b43920ebfe6235dba6060770399ed1fb18601e5818552bd46a7621f8',
};

// Generous: the machine running the tests may be busy; nothing here depends on how fast it is.
const SLOW = 90_000;
const WAIT_MS = 30_000;

// ---- test doubles -------------------------------------------------------------------------------------------

const STUBS: Record<string, string> = {
  // The FRP client: records each start and stays up, unless STUB_FRPC says to fail (always, or the first time).
  frpc: `#!/bin/sh
echo "$$ $*" >> "$STUB_RECORD/frpc.starts"
case "\${STUB_FRPC:-run}" in
  fail) exit 3 ;;
  fail-first) [ "$(wc -l < "$STUB_RECORD/frpc.starts")" -gt 1 ] || exit 3 ;;
esac
trap 'exit 0' TERM
while :; do sleep 1; done
`,
  // Records the command it would run as the app user, and the app's CA setting, instead of running it.
  setpriv: `#!/bin/sh
printf '%s' "\${NODE_EXTRA_CA_CERTS-<unset>}" > "$STUB_RECORD/app.ca"
printf '%s\\n' "$@" > "$STUB_RECORD/setpriv.args"
`,
  chown: `#!/bin/sh
printf '%s\\n' "$*" >> "$STUB_RECORD/chown.calls"
`,
  // Downloads (-o FILE) get STUB_ARCHIVE; other requests answer like the heartbeat, or fail (STUB_CURL=fail).
  curl: `#!/bin/sh
printf '%s\\n' "$@" > "$STUB_RECORD/curl.args"
out=
prev=
for arg in "$@"; do
  [ "$prev" = -o ] && out="$arg"
  prev="$arg"
done
if [ -n "$out" ]; then
  cp "$STUB_ARCHIVE" "$out"
  exit
fi
if [ "\${STUB_CURL:-ok}" = ok ]; then
  echo '{"status":"ok"}'
else
  echo 'curl: (22) The requested URL returned error: 503' >&2
  exit 22
fi
`,
};

interface Sandbox {
  dir: string;
  bin: string;
  record: string;
  /** The environment every script gets: stubs first on PATH, every path inside the sandbox. */
  env: NodeJS.ProcessEnv;
  read: (name: string) => string;
  has: (name: string) => boolean;
}

const cleanups: (() => void)[] = [];
const groups: number[] = [];

afterEach(() => {
  for (const pgid of groups.splice(0)) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function sandbox(): Sandbox {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-gateway-container-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  const bin = path.join(dir, 'bin');
  const record = path.join(dir, 'record');
  fs.mkdirSync(bin);
  fs.mkdirSync(record);
  for (const [name, body] of Object.entries(STUBS)) fs.writeFileSync(path.join(bin, name), body, { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'ca-bundle.crt'), '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n');
  return {
    dir,
    bin,
    record,
    env: {
      PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      HOME: dir,
      STUB_RECORD: record,
      APP_PERSISTENT_STORAGE: path.join(dir, 'storage'),
      FRPC_CONFIG: path.join(dir, 'frpc.toml'),
      FRPC_PIDFILE: path.join(dir, 'run', 'frpc.pid'),
      FRP_CERTS_DIR: path.join(dir, 'certs', 'frp'),
      NODE_EXTRA_CA_CERTS: path.join(dir, 'ca-bundle.crt'),
    },
    read: (name) => fs.readFileSync(path.join(record, name), 'utf8'),
    has: (name) => fs.existsSync(path.join(record, name)),
  };
}

function harpEnv(box: Sandbox, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...box.env,
    APP_ID: 'mcp_gateway',
    APP_PORT: '23456',
    HP_SHARED_KEY: 'shared-key-1234',
    HP_FRP_ADDRESS: 'appapi-harp',
    HP_FRP_PORT: '8782',
    HP_EXAPP_SOCK: path.join(box.dir, 'exapp.sock'),
    ...extra,
  };
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end in its own process group (killed after the test, and after timeoutMs). */
function run(command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = WAIT_MS): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid !== undefined) groups.push(child.pid);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      try {
        process.kill(-(child.pid ?? 0), 'SIGKILL');
      } catch {
        // Already gone.
      }
    }, timeoutMs);
    child.on('error', reject);
    // "exit", not "close": background processes the entrypoint leaves running keep the pipes open.
    child.on('exit', (code) => {
      clearTimeout(timer);
      // Let the output already written arrive.
      setImmediate(() => resolve({ code, stdout, stderr }));
    });
  });
}

interface Entrypoint extends Run {
  pgid: number;
}

/** Runs docker/entrypoint.sh until it hands over to the app (the setpriv double returns at once). */
async function entrypoint(env: NodeJS.ProcessEnv): Promise<Entrypoint> {
  const child = spawn('sh', [script('entrypoint.sh')], { env, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  const pgid = child.pid ?? 0;
  groups.push(pgid);
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (exitCode) => resolve(exitCode));
  });
  return { code, stdout: '', stderr, pgid };
}

function healthcheck(env: NodeJS.ProcessEnv): Promise<Run> {
  return run('sh', [script('healthcheck.sh')], env);
}

async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = WAIT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** State and process group of a process from /proc (undefined when it is gone). */
function procStat(pid: number): { comm: string; state: string; pgrp: number } | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const fields = stat.slice(close + 2).split(' ');
    return { comm: stat.slice(stat.indexOf('(') + 1, close), state: fields[0] ?? '', pgrp: Number(fields[2]) };
  } catch {
    return undefined;
  }
}

const alive = (pid: number) => {
  const stat = procStat(pid);
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X';
};

/** The live (not zombie) processes of a process group. */
function liveMembers(pgid: number): number[] {
  return fs
    .readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => procStat(pid)?.pgrp === pgid && alive(pid));
}

const frpcStarts = (box: Sandbox) => (box.has('frpc.starts') ? box.read('frpc.starts').trim().split('\n') : []);
const pidFile = (box: Sandbox) => {
  const file = box.env.FRPC_PIDFILE ?? '';
  const pid = fs.existsSync(file) ? Number(fs.readFileSync(file, 'utf8').trim()) : 0;
  return pid > 0 ? pid : undefined;
};

/** Starts the frpc double directly (not through the entrypoint), as a live "frpc" process. */
function startFrpcDouble(box: Sandbox): number {
  const child = spawn(path.join(box.bin, 'frpc'), ['-c', 'unused'], { env: box.env, detached: true, stdio: 'ignore' });
  const pid = child.pid ?? 0;
  groups.push(pid);
  return pid;
}

/** A running frpc stand-in named by the pid file, as the entrypoint leaves it. */
async function runningFrpc(box: Sandbox, pidFile: string): Promise<number> {
  fs.mkdirSync(path.dirname(pidFile), { recursive: true });
  const pid = startFrpcDouble(box);
  fs.writeFileSync(pidFile, `${pid}\n`);
  await waitFor('frpc to run', () => procStat(pid)?.comm === 'frpc' && alive(pid));
  return pid;
}

const hasCurl = spawnSync('curl', ['--version']).status === 0;

// ---- entrypoint ---------------------------------------------------------------------------------------------

describe('docker/entrypoint.sh behind HaRP (HP_SHARED_KEY set)', () => {
  it('writes the FRP client configuration HaRP expects and starts frpc with it', { timeout: SLOW }, async () => {
    const box = sandbox();
    const env = harpEnv(box);
    const result = await entrypoint(env);
    expect(result.code, result.stderr).toBe(0);
    await waitFor('frpc to start', () => frpcStarts(box).length === 1);

    const config = fs.readFileSync(env.FRPC_CONFIG ?? '', 'utf8');
    expect(config).toMatch(/^loginFailExit = false$/m);
    expect(config).toMatch(/^serverAddr = "appapi-harp"$/m);
    expect(config).toMatch(/^serverPort = 8782$/m);
    expect(config).toMatch(/^metadatas\.token = "shared-key-1234"$/m);
    expect(config).toMatch(/^remotePort = 23456$/m);
    expect(config).toMatch(/^name = "mcp_gateway"$/m);
    expect(config).toMatch(/^type = "unix_domain_socket"$/m);
    expect(config).toContain(`unixPath = "${env.HP_EXAPP_SOCK}"`);
    // No certificates from HaRP: plain TCP to HaRP, as HaRP's own start script does.
    expect(config).toMatch(/^transport\.tls\.enable = false$/m);
    expect(config).not.toContain('certFile');
    // It holds the shared key.
    expect(fs.statSync(env.FRPC_CONFIG ?? '').mode & 0o777).toBe(0o600);

    const [start] = frpcStarts(box);
    expect(start?.split(' ').slice(1)).toEqual(['-c', env.FRPC_CONFIG]);
    // The pid file names the running frpc (the health check reads it).
    const pid = await waitFor('the pid file', () => pidFile(box));
    expect(start?.split(' ')[0]).toBe(String(pid));
    expect(alive(pid)).toBe(true);
  });

  it("turns TLS on with HaRP's client certificate when /certs/frp exists", { timeout: SLOW }, async () => {
    const box = sandbox();
    const certs = path.join(box.dir, 'certs', 'frp');
    fs.mkdirSync(certs, { recursive: true });
    const env = harpEnv(box);
    const result = await entrypoint(env);
    expect(result.code, result.stderr).toBe(0);
    await waitFor('frpc to start', () => frpcStarts(box).length === 1);

    const config = fs.readFileSync(env.FRPC_CONFIG ?? '', 'utf8');
    expect(config).toMatch(/^transport\.tls\.enable = true$/m);
    expect(config).toContain(`transport.tls.certFile = "${certs}/client.crt"`);
    expect(config).toContain(`transport.tls.keyFile = "${certs}/client.key"`);
    expect(config).toContain(`transport.tls.trustedCaFile = "${certs}/ca.crt"`);
    expect(config).toMatch(/^transport\.tls\.serverName = "harp\.nc"$/m);
    expect(config).toMatch(/^loginFailExit = false$/m);
    expect(config).not.toContain('transport.tls.enable = false');
  });

  it('writes a shared key with quotes and backslashes as a valid TOML string', { timeout: SLOW }, async () => {
    const box = sandbox();
    const env = harpEnv(box, { HP_SHARED_KEY: 'a"b\\c' });
    const result = await entrypoint(env);
    expect(result.code, result.stderr).toBe(0);
    const config = fs.readFileSync(env.FRPC_CONFIG ?? '', 'utf8');
    expect(config).toMatch(/^metadatas\.token = "a\\"b\\\\c"$/m);
  });

  it('runs the app as the node user with NODE_EXTRA_CA_CERTS pointing at the CA bundle', { timeout: SLOW }, async () => {
    const box = sandbox();
    const env = harpEnv(box);
    const result = await entrypoint(env);
    expect(result.code, result.stderr).toBe(0);
    expect(box.read('setpriv.args').trim().split('\n')).toEqual([
      '--reuid=node',
      '--regid=node',
      '--init-groups',
      'node',
      '/app/dist/src/main.js',
    ]);
    expect(box.read('app.ca')).toBe(env.NODE_EXTRA_CA_CERTS);
    // The persistent storage exists and belongs to the app user.
    expect(fs.statSync(env.APP_PERSISTENT_STORAGE ?? '').isDirectory()).toBe(true);
    expect(box.read('chown.calls')).toContain(`-R node:node ${env.APP_PERSISTENT_STORAGE}`);
  });

  it('restarts frpc when it exits, and the pid file follows it', { timeout: SLOW }, async () => {
    const box = sandbox();
    const env = harpEnv(box, { STUB_FRPC: 'fail-first', FRPC_RESTART_DELAY: '1' });
    const result = await entrypoint(env);
    expect(result.code, result.stderr).toBe(0);

    const starts = await waitFor('the second start of frpc', () => (frpcStarts(box).length >= 2 ? frpcStarts(box) : undefined));
    expect(starts).toHaveLength(2);
    const second = Number(starts[1]?.split(' ')[0]);
    await waitFor('the pid file to name the second frpc', () => pidFile(box) === second);
    expect(alive(second)).toBe(true);
    expect((await healthcheck(env)).code).toBe(0);
  });

  it('stops restarting a frpc that keeps failing at once, and the health check fails from then on', { timeout: SLOW }, async () => {
    const box = sandbox();
    const env = harpEnv(box, { STUB_FRPC: 'fail', FRPC_RESTART_DELAY: '1', FRPC_MAX_RESTARTS: '2' });
    const result = await entrypoint(env);
    expect(result.code, result.stderr).toBe(0);

    // The first start and two restarts, then the supervising process ends.
    await waitFor('the entrypoint to give up on frpc', () => liveMembers(result.pgid).length === 0);
    expect(frpcStarts(box)).toHaveLength(3);
    const check = await healthcheck(env);
    expect(check.code).not.toBe(0);
    expect(check.stdout).toContain('frpc is not running');
  });

  it('fails the health check once frpc is dead and not restarted', { timeout: SLOW }, async () => {
    const box = sandbox();
    const env = harpEnv(box, { FRPC_MAX_RESTARTS: '0' });
    const result = await entrypoint(env);
    expect(result.code, result.stderr).toBe(0);
    const pid = await waitFor('the pid file', () => pidFile(box));
    await waitFor('frpc to run', () => alive(pid));
    expect((await healthcheck(env)).code).toBe(0);

    process.kill(pid, 'SIGKILL');
    await waitFor('frpc to be gone', () => !alive(pid));
    const check = await healthcheck(env);
    expect(check.code).not.toBe(0);
    expect(check.stdout).toContain('frpc is not running');
  });

  it('refuses to start without the FRP server address', { timeout: SLOW }, async () => {
    const box = sandbox();
    const env = harpEnv(box);
    delete env.HP_FRP_ADDRESS;
    const result = await entrypoint(env);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('HP_FRP_ADDRESS');
    expect(box.has('setpriv.args')).toBe(false);
    expect(box.has('frpc.starts')).toBe(false);
  });
});

describe('docker/entrypoint.sh without HaRP', () => {
  it('starts no frpc and writes no FRP configuration', { timeout: SLOW }, async () => {
    const box = sandbox();
    const result = await entrypoint({ ...box.env, APP_PORT: '23456', APP_HOST: '0.0.0.0' });
    expect(result.code, result.stderr).toBe(0);
    expect(box.read('setpriv.args').trim().split('\n')).toEqual([
      '--reuid=node',
      '--regid=node',
      '--init-groups',
      'node',
      '/app/dist/src/main.js',
    ]);
    // Nothing was left running beside the app (the entrypoint exec'd into it).
    expect(liveMembers(result.pgid)).toEqual([]);
    expect(box.has('frpc.starts')).toBe(false);
    expect(fs.existsSync(box.env.FRPC_CONFIG ?? '')).toBe(false);
    expect(box.read('app.ca')).toBe(box.env.NODE_EXTRA_CA_CERTS);
  });

  it('drops NODE_EXTRA_CA_CERTS, with a message, when the bundle is missing', { timeout: SLOW }, async () => {
    const box = sandbox();
    const missing = path.join(box.dir, 'no-such-bundle.crt');
    const result = await entrypoint({ ...box.env, NODE_EXTRA_CA_CERTS: missing });
    expect(result.code, result.stderr).toBe(0);
    expect(box.read('app.ca')).toBe('<unset>');
    expect(result.stderr).toContain(missing);
  });

  it('defaults NODE_EXTRA_CA_CERTS to the system bundle', { timeout: SLOW }, async () => {
    const box = sandbox();
    const env = { ...box.env };
    delete env.NODE_EXTRA_CA_CERTS;
    const result = await entrypoint(env);
    expect(result.code, result.stderr).toBe(0);
    const bundle = '/etc/ssl/certs/ca-certificates.crt';
    // Where this machine has no system bundle, the entrypoint drops the variable (previous test).
    expect(box.read('app.ca')).toBe(fs.existsSync(bundle) ? bundle : '<unset>');
  });
});

// ---- health check -------------------------------------------------------------------------------------------

describe('docker/healthcheck.sh', () => {
  it('behind HaRP: passes when frpc runs and the heartbeat answers over the unix socket', { timeout: SLOW }, async () => {
    const box = sandbox();
    const env = harpEnv(box);
    await runningFrpc(box, env.FRPC_PIDFILE ?? '');

    const check = await healthcheck(env);
    expect(check.code, check.stderr).toBe(0);
    const args = box.read('curl.args').trim().split('\n');
    expect(args).toEqual(expect.arrayContaining(['--unix-socket', env.HP_EXAPP_SOCK, 'http://localhost/heartbeat']));
    expect(args[args.indexOf('--unix-socket') + 1]).toBe(env.HP_EXAPP_SOCK);
    expect(args.some((arg) => /^-\w*f/.test(arg))).toBe(true);
  });

  it('behind HaRP: fails when the heartbeat fails although frpc runs', { timeout: SLOW }, async () => {
    const box = sandbox();
    const env = harpEnv(box, { STUB_CURL: 'fail' });
    await runningFrpc(box, env.FRPC_PIDFILE ?? '');
    expect((await healthcheck(env)).code).not.toBe(0);
  });

  it('behind HaRP: fails without a pid file, and when the pid is not a live frpc', { timeout: SLOW }, async () => {
    const box = sandbox();
    const env = harpEnv(box);
    const noPidFile = await healthcheck(env);
    expect(noPidFile.code).not.toBe(0);
    expect(box.has('curl.args')).toBe(false);

    fs.mkdirSync(path.dirname(env.FRPC_PIDFILE ?? ''), { recursive: true });
    // A live process that is not frpc (a pid reused after frpc ended).
    fs.writeFileSync(env.FRPC_PIDFILE ?? '', `${process.pid}\n`);
    expect((await healthcheck(env)).code).not.toBe(0);

    // frpc that was started and is gone.
    const pid = await runningFrpc(box, env.FRPC_PIDFILE ?? '');
    expect((await healthcheck(env)).code).toBe(0);
    process.kill(-pid, 'SIGKILL');
    await waitFor('frpc to be gone', () => !alive(pid));
    expect((await healthcheck(env)).code).not.toBe(0);

    fs.writeFileSync(env.FRPC_PIDFILE ?? '', 'garbage\n');
    expect((await healthcheck(env)).code).not.toBe(0);
  });

  it('without HaRP: asks the heartbeat over TCP on loopback and needs no frpc', { timeout: SLOW }, async () => {
    const box = sandbox();
    const ok = await healthcheck({ ...box.env, APP_HOST: '0.0.0.0', APP_PORT: '23456' });
    expect(ok.code, ok.stderr).toBe(0);
    expect(box.read('curl.args').trim().split('\n')).toContain('http://127.0.0.1:23456/heartbeat');

    await healthcheck({ ...box.env, APP_HOST: '::1', APP_PORT: '23456' });
    expect(box.read('curl.args').trim().split('\n')).toContain('http://[::1]:23456/heartbeat');

    const failing = await healthcheck({ ...box.env, APP_PORT: '23456', STUB_CURL: 'fail' });
    expect(failing.code).not.toBe(0);
  });

  describe.skipIf(!hasCurl)('with the real curl', () => {
    const servers: http.Server[] = [];
    afterEach(async () => {
      for (const server of servers.splice(0)) {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    });
    const heartbeat = (status: number) => {
      const server = http.createServer((request, response) => {
        if (request.url === '/heartbeat') response.writeHead(status, { 'content-type': 'application/json' }).end('{"status":"ok"}');
        else response.writeHead(404).end();
      });
      servers.push(server);
      return server;
    };
    // The sandbox PATH without the curl double.
    const realCurlEnv = (box: Sandbox, extra: NodeJS.ProcessEnv) => {
      fs.rmSync(path.join(box.bin, 'curl'));
      return { ...box.env, ...extra };
    };

    it('reaches /heartbeat on the unix socket behind HaRP', { timeout: SLOW }, async () => {
      const box = sandbox();
      const socket = path.join(box.dir, 'exapp.sock');
      const server = heartbeat(200);
      await new Promise<void>((resolve) => server.listen(socket, resolve));
      const env = realCurlEnv(box, harpEnv(box));
      await runningFrpc(box, env.FRPC_PIDFILE ?? '');

      const check = await healthcheck(env);
      expect(check.code, check.stderr).toBe(0);
      expect(check.stdout).toContain('"status":"ok"');
    });

    it('fails on an error status and when nothing listens', { timeout: SLOW }, async () => {
      const box = sandbox();
      const server = heartbeat(503);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const port = String((server.address() as AddressInfo).port);
      const env = realCurlEnv(box, { APP_PORT: port });
      expect((await healthcheck(env)).code).not.toBe(0);

      const up = heartbeat(200);
      await new Promise<void>((resolve) => up.listen(0, '127.0.0.1', resolve));
      expect((await healthcheck({ ...env, APP_PORT: String((up.address() as AddressInfo).port) })).code).toBe(0);

      const closed = port;
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      servers.splice(servers.indexOf(server), 1);
      expect((await healthcheck({ ...env, APP_PORT: closed })).code).not.toBe(0);
    });
  });
});

// ---- Dockerfile ---------------------------------------------------------------------------------------------

interface Instruction {
  keyword: string;
  args: string;
}

/** Dockerfile instructions with continuation lines joined and comments left out. */
function instructions(text: string): Instruction[] {
  const result: Instruction[] = [];
  let pending = '';
  for (const line of text.split('\n')) {
    if (/^\s*#/.test(line)) continue;
    const continued = /\\\s*$/.test(line);
    pending += `${continued ? line.replace(/\\\s*$/, '') : line} `;
    if (continued) continue;
    const trimmed = pending.trim();
    pending = '';
    if (trimmed === '') continue;
    const match = /^(\w+)\s+([\s\S]*)$/.exec(trimmed);
    if (match) result.push({ keyword: (match[1] ?? '').toUpperCase(), args: (match[2] ?? '').replace(/\s+/g, ' ') });
  }
  return result;
}

/** The stages of the Dockerfile, each starting with its FROM. */
function stages(): Instruction[][] {
  const all: Instruction[][] = [];
  for (const instruction of instructions(dockerfile)) {
    if (instruction.keyword === 'FROM') all.push([]);
    all.at(-1)?.push(instruction);
  }
  return all;
}

const stageNamed = (name: string) => stages().find((stage) => new RegExp(`\\bAS ${name}$`, 'i').test(stage[0]?.args ?? ''));
const argValue = (stage: Instruction[] | undefined, name: string) =>
  stage?.find((instruction) => instruction.keyword === 'ARG' && instruction.args.startsWith(`${name}=`))?.args.slice(name.length + 1);
const runs = (stage: Instruction[] | undefined) =>
  (stage ?? [])
    .filter((instruction) => instruction.keyword === 'RUN')
    .map((instruction) => instruction.args)
    .join('\n');

describe('Dockerfile', () => {
  it('builds every stage on a Node.js LTS release of 24 or newer, Debian bookworm-slim', () => {
    const froms = stages().map((stage) => stage[0]?.args ?? '');
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const from of froms) {
      const match = /^node:(\d+)-bookworm-slim(\s|$)/.exec(from);
      expect(match, from).not.toBeNull();
      const major = Number(match?.[1]);
      expect(major).toBeGreaterThanOrEqual(24);
      expect(major % 2, `${from}: odd Node.js releases are never LTS`).toBe(0);
    }
  });

  it('pins the FRP release HaRP uses by version and by checksum per architecture', () => {
    const frpc = stageNamed('frpc');
    expect(frpc).toBeDefined();
    const version = argValue(frpc, 'FRP_VERSION');
    expect(version).toBe('0.61.1');
    const amd64 = argValue(frpc, 'FRP_SHA256_AMD64');
    const arm64 = argValue(frpc, 'FRP_SHA256_ARM64');
    expect(amd64).toMatch(/^[0-9a-f]{64}$/);
    expect(arm64).toMatch(/^[0-9a-f]{64}$/);
    if (version === '0.61.1') expect({ amd64, arm64 }).toEqual(FRP_0_61_1_SHA256);
    expect(frpc?.some((instruction) => instruction.keyword === 'ARG' && instruction.args === 'TARGETARCH')).toBe(true);
    expect(runs(frpc)).toMatch(/source=docker\/install-frpc\.sh\b.*sh \/tmp\/install-frpc\.sh \/out\/frpc/);

    const installer = fs.readFileSync(script('install-frpc.sh'), 'utf8');
    expect(installer).toContain('https://github.com/fatedier/frp/releases/download/v${FRP_VERSION}/${name}.tar.gz');
    expect(installer).toContain('name="frp_${FRP_VERSION}_linux_${arch}"');
    expect(installer).toMatch(/\| sha256sum -c -/);
    expect(installer).not.toMatch(/raw\.githubusercontent\.com|\/main\//);
  });

  it('gives the app the system CA bundle, curl and frpc, and starts as root with the entrypoint and a health check', () => {
    const final = stages().at(-1) ?? [];
    const env = final
      .filter((instruction) => instruction.keyword === 'ENV')
      .map((instruction) => instruction.args)
      .join(' ');
    expect(env).toMatch(/\bNODE_EXTRA_CA_CERTS=\/etc\/ssl\/certs\/ca-certificates\.crt\b/);
    const apt = runs(final);
    expect(apt).toMatch(/apt-get install[^\n]*\bca-certificates\b/);
    expect(apt).toMatch(/apt-get install[^\n]*\bcurl\b/);
    expect(apt).not.toMatch(/\b(python3|g\+\+|make|build-essential)\b/);

    const copies = final.filter((instruction) => instruction.keyword === 'COPY').map((instruction) => instruction.args);
    expect(copies).toContain('--from=frpc /out/frpc /usr/local/bin/frpc');
    expect(copies).toContain('--from=build /app/node_modules ./node_modules');
    expect(copies).toContain('--from=build /app/dist ./dist');
    expect(copies.some((copy) => /docker\/entrypoint\.sh/.test(copy) && /docker\/healthcheck\.sh/.test(copy))).toBe(true);
    // From the build context: no sources, tests or the whole context, only files the runtime needs.
    const fromContext = copies
      .filter((copy) => !copy.includes('--from='))
      .flatMap((copy) =>
        copy
          .split(' ')
          .filter((token) => !token.startsWith('--'))
          .slice(0, -1),
      );
    expect(fromContext.sort()).toEqual(['appinfo', 'docker/entrypoint.sh', 'docker/healthcheck.sh', 'package.json']);

    expect(final.some((instruction) => instruction.keyword === 'USER')).toBe(false);
    expect(final.find((instruction) => instruction.keyword === 'ENTRYPOINT')?.args).toBe('["/usr/local/bin/entrypoint.sh"]');
    const health = final.find((instruction) => instruction.keyword === 'HEALTHCHECK')?.args ?? '';
    expect(health).toMatch(/CMD \["\/usr\/local\/bin\/healthcheck\.sh"\]$/);
    expect(health).toMatch(/--retries=\d+/);
  });

  it('leaves only production dependencies and the compiled better-sqlite3 addon in what the runtime copies', () => {
    const build = stageNamed('build');
    const commands = runs(build);
    expect(commands).toMatch(/npm prune --omit=dev/);
    expect(commands).toMatch(/source=docker\/prune-native\.sh\b.*sh \/tmp\/prune-native\.sh node_modules/);
    // The pruning comes after the build and before the addon is proven to load.
    expect(commands.indexOf('npm run build')).toBeLessThan(commands.indexOf('npm prune'));
    expect(commands.indexOf('prune-native.sh node_modules')).toBeLessThan(commands.indexOf("require('better-sqlite3')"));
  });

  it('sends only what the image needs as build context', () => {
    const patterns = fs
      .readFileSync(path.join(root, '.dockerignore'), 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    expect(patterns[0]).toBe('*');
    const included = patterns.filter((pattern) => pattern.startsWith('!')).map((pattern) => pattern.slice(1));
    for (const needed of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'src', 'lib', 'appinfo', 'docker'])
      expect(included).toContain(needed);
    for (const excluded of ['tests', '.git', 'node_modules', 'dist', 'test-artifacts', '.demo-data', '.sim-data']) {
      expect(
        included.some((pattern) => pattern === excluded || pattern.startsWith(`${excluded}/`) || pattern === '**' || pattern === '*'),
      ).toBe(false);
    }
  });

  it('has shell scripts that parse', () => {
    for (const name of ['entrypoint.sh', 'healthcheck.sh', 'install-frpc.sh', 'prune-native.sh']) {
      const check = spawnSync('sh', ['-n', script(name)], { encoding: 'utf8' });
      expect(check.status, `${name}: ${check.stderr}`).toBe(0);
    }
  });
});

// ---- docker/install-frpc.sh ---------------------------------------------------------------------------------

describe('docker/install-frpc.sh', () => {
  const version = argValue(stageNamed('frpc'), 'FRP_VERSION') ?? '';

  /** An archive laid out like FRP's releases, whose frpc reports reportedVersion. */
  function releaseArchive(box: Sandbox, arch: string, reportedVersion = version): { file: string; sha256: string } {
    const name = `frp_${version}_linux_${arch}`;
    const tree = path.join(box.dir, 'release');
    fs.mkdirSync(path.join(tree, name), { recursive: true });
    fs.writeFileSync(path.join(tree, name, 'frpc'), `#!/bin/sh\n[ "$1" = --version ] && echo ${reportedVersion}\n`, { mode: 0o755 });
    fs.writeFileSync(path.join(tree, name, 'LICENSE'), 'Apache-2.0\n');
    const file = path.join(box.dir, `${name}.tar.gz`);
    const tar = spawnSync('tar', ['-czf', file, '-C', tree, name], { encoding: 'utf8' });
    expect(tar.status, tar.stderr).toBe(0);
    return { file, sha256: crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex') };
  }

  const install = (box: Sandbox, env: NodeJS.ProcessEnv) =>
    run('sh', [script('install-frpc.sh'), path.join(box.dir, 'out', 'frpc')], {
      ...box.env,
      // The Dockerfile's own values, unless the test replaces them.
      FRP_VERSION: version,
      FRP_SHA256_AMD64: argValue(stageNamed('frpc'), 'FRP_SHA256_AMD64'),
      FRP_SHA256_ARM64: argValue(stageNamed('frpc'), 'FRP_SHA256_ARM64'),
      ...env,
    });
  const installed = (box: Sandbox) => path.join(box.dir, 'out', 'frpc');
  const requested = (box: Sandbox) => box.read('curl.args').trim().split('\n').at(-1);

  it(
    'downloads the pinned release for the target architecture and installs frpc when the checksum matches',
    { timeout: SLOW },
    async () => {
      const box = sandbox();
      const archive = releaseArchive(box, 'amd64');
      const result = await install(box, { TARGETARCH: 'amd64', STUB_ARCHIVE: archive.file, FRP_SHA256_AMD64: archive.sha256 });
      expect(result.code, result.stderr).toBe(0);
      expect(requested(box)).toBe(`https://github.com/fatedier/frp/releases/download/v${version}/frp_${version}_linux_amd64.tar.gz`);
      expect(requested(box)).toContain('v0.61.1/frp_0.61.1_linux_amd64.tar.gz');
      expect(result.stdout).toMatch(/: OK$/m);
      expect(fs.statSync(installed(box)).mode & 0o111).not.toBe(0);
      expect(spawnSync(installed(box), ['--version'], { encoding: 'utf8' }).stdout.trim()).toBe(version);
    },
  );

  it('fails, installing nothing, when the archive does not match the pinned checksum', { timeout: SLOW }, async () => {
    const box = sandbox();
    // The real checksum of the official archive cannot match this stand-in.
    const archive = releaseArchive(box, 'amd64');
    const result = await install(box, { TARGETARCH: 'amd64', STUB_ARCHIVE: archive.file });
    expect(result.code).not.toBe(0);
    expect(`${result.stdout}${result.stderr}`).toMatch(/FAILED/);
    expect(fs.existsSync(installed(box))).toBe(false);
  });

  it('uses the arm64 archive and checksum for arm64', { timeout: SLOW }, async () => {
    const box = sandbox();
    const archive = releaseArchive(box, 'arm64');
    const result = await install(box, { TARGETARCH: 'arm64', STUB_ARCHIVE: archive.file, FRP_SHA256_ARM64: archive.sha256 });
    expect(result.code, result.stderr).toBe(0);
    expect(requested(box)).toBe(`https://github.com/fatedier/frp/releases/download/v${version}/frp_${version}_linux_arm64.tar.gz`);

    // The amd64 checksum is no use for the arm64 archive.
    const other = sandbox();
    const second = releaseArchive(other, 'arm64');
    const mismatch = await install(other, { TARGETARCH: 'arm64', STUB_ARCHIVE: second.file, FRP_SHA256_AMD64: second.sha256 });
    expect(mismatch.code).not.toBe(0);
  });

  it.skipIf(!['x86_64', 'aarch64'].includes(os.machine()))(
    'falls back to the machine architecture without TARGETARCH',
    { timeout: SLOW },
    async () => {
      const box = sandbox();
      const arch = os.machine() === 'aarch64' ? 'arm64' : 'amd64';
      const archive = releaseArchive(box, arch);
      const result = await install(box, { STUB_ARCHIVE: archive.file, [`FRP_SHA256_${arch.toUpperCase()}`]: archive.sha256 });
      expect(result.code, result.stderr).toBe(0);
      expect(requested(box)).toMatch(new RegExp(`_linux_${arch}\\.tar\\.gz$`));
    },
  );

  it('fails for an architecture without a pinned checksum, for a missing checksum and for a wrong version', { timeout: SLOW }, async () => {
    const box = sandbox();
    const archive = releaseArchive(box, 'amd64');
    const unknown = await install(box, { TARGETARCH: 's390x', STUB_ARCHIVE: archive.file });
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('s390x');
    expect(box.has('curl.args')).toBe(false);

    const empty = await install(box, { TARGETARCH: 'amd64', STUB_ARCHIVE: archive.file, FRP_SHA256_AMD64: '' });
    expect(empty.code).not.toBe(0);
    expect(box.has('curl.args')).toBe(false);

    const wrong = sandbox();
    const liar = releaseArchive(wrong, 'amd64', '0.0.1');
    const result = await install(wrong, { TARGETARCH: 'amd64', STUB_ARCHIVE: liar.file, FRP_SHA256_AMD64: liar.sha256 });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('0.0.1');
    expect(fs.existsSync(installed(wrong))).toBe(false);
  });
});

// ---- docker/prune-native.sh ---------------------------------------------------------------------------------

describe('docker/prune-native.sh', () => {
  const files = (dir: string): string[] =>
    fs
      .readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((entry) => fs.statSync(path.join(dir, entry)).isFile())
      .sort();

  it('keeps the addon, its JavaScript and other packages, and removes sources and build intermediates', () => {
    const box = sandbox();
    const modules = path.join(box.dir, 'node_modules');
    const tree: Record<string, string> = {
      'better-sqlite3/package.json': '{}',
      'better-sqlite3/lib/index.js': 'module.exports = 1;',
      'better-sqlite3/binding.gyp': '{}',
      'better-sqlite3/src/better_sqlite3.cpp': '// c++',
      'better-sqlite3/deps/sqlite3/sqlite3.c': '/* c */',
      'better-sqlite3/build/Makefile': 'all:',
      'better-sqlite3/build/config.gypi': '{}',
      'better-sqlite3/build/better_sqlite3.target.mk': '',
      'better-sqlite3/build/deps/sqlite3.target.mk': '',
      'better-sqlite3/build/Release/better_sqlite3.node': 'ADDON',
      'better-sqlite3/build/Release/test_extension.node': 'TEST',
      'better-sqlite3/build/Release/sqlite3.a': 'archive',
      'better-sqlite3/build/Release/obj/gen/sqlite3/sqlite3.o': 'object',
      'better-sqlite3/build/Release/obj.target/better_sqlite3/src/better_sqlite3.o': 'object',
      'better-sqlite3/build/Release/.deps/Release/better_sqlite3.node.d': 'deps',
      // A JavaScript package that happens to have a build directory: untouched.
      'some-js/package.json': '{}',
      'some-js/build/index.js': 'export {};',
      'some-js/build/deps/helper.js': 'export {};',
    };
    for (const [file, content] of Object.entries(tree)) {
      fs.mkdirSync(path.dirname(path.join(modules, file)), { recursive: true });
      fs.writeFileSync(path.join(modules, file), content);
    }
    const result = spawnSync('sh', [script('prune-native.sh'), modules], { encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    expect(files(modules)).toEqual(
      [
        'better-sqlite3/build/Release/better_sqlite3.node',
        'better-sqlite3/lib/index.js',
        'better-sqlite3/package.json',
        'some-js/build/deps/helper.js',
        'some-js/build/index.js',
        'some-js/package.json',
      ].sort(),
    );
    expect(fs.readFileSync(path.join(modules, 'better-sqlite3/build/Release/better_sqlite3.node'), 'utf8')).toBe('ADDON');
  });

  it('fails when better-sqlite3 has no compiled addon', () => {
    const box = sandbox();
    const modules = path.join(box.dir, 'node_modules');
    fs.mkdirSync(path.join(modules, 'better-sqlite3/lib'), { recursive: true });
    const result = spawnSync('sh', [script('prune-native.sh'), modules], { encoding: 'utf8' });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('better_sqlite3.node');
  });

  const localAddon = path.join(root, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node');
  it.skipIf(!fs.existsSync(localAddon))('leaves a better-sqlite3 that still opens a database', { timeout: SLOW }, () => {
    const box = sandbox();
    const modules = path.join(box.dir, 'app', 'node_modules');
    for (const name of ['better-sqlite3', 'bindings', 'file-uri-to-path']) {
      fs.cpSync(path.join(root, 'node_modules', name), path.join(modules, name), { recursive: true });
    }
    const result = spawnSync('sh', [script('prune-native.sh'), modules], { encoding: 'utf8' });
    expect(result.status, result.stderr).toBe(0);
    expect(fs.existsSync(path.join(modules, 'better-sqlite3/deps'))).toBe(false);
    expect(fs.existsSync(path.join(modules, 'better-sqlite3/src'))).toBe(false);
    const load = spawnSync(
      process.execPath,
      ['-e', "const D = require('better-sqlite3'); console.log(new D(':memory:').prepare('select 41 + 1 as x').get().x)"],
      {
        cwd: path.join(box.dir, 'app'),
        encoding: 'utf8',
      },
    );
    expect(load.status, load.stderr).toBe(0);
    expect(load.stdout.trim()).toBe('42');
  });
});
