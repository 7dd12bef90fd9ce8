// The production build (`node dist/src/main.js`) started with exactly the environment AppAPI injects into its
// container, registered the way AppAPI does it (register -> container with that environment -> heartbeat ->
// /init -> enable), then used by an OAuth client for one tool call. Over TCP (a Docker daemon, the PHP proxy) on
// the oldest AppAPI 32 release the manifest must route on, through a remote Docker Socket Proxy over https (which
// moves the client's Authorization into X-Original-Authorization) on AppAPI 33, and on HaRP's unix socket on
// AppAPI 34.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { infoXmlPath } from '../../scripts/json-info.js';
import type { Simulator } from '../nextcloud-sim/index.js';
import { startSimulator } from '../nextcloud-sim/index.js';
import { freePort } from '../nextcloud-sim/php-backend.js';
import type { AppProcess } from '../support/app-process.js';
import { startAppProcess } from '../support/app-process.js';
import type { Deployment } from '../support/deployment.js';
import { rawOAuth } from '../support/oauth-raw.js';

const root = path.join(path.dirname(new URL(import.meta.url).pathname), '..', '..');

interface Case {
  title: string;
  appApiVersion: string;
  daemon: 'docker' | 'remote-dsp' | 'harp';
}

const cases: Case[] = [
  { title: 'a Docker daemon over TCP on AppAPI 32.0.5', appApiVersion: '32.0.5', daemon: 'docker' },
  { title: 'a remote Docker Socket Proxy over https on AppAPI 33.0.3', appApiVersion: '33.0.3', daemon: 'remote-dsp' },
  { title: "HaRP's unix socket on AppAPI 34.0.3", appApiVersion: '34.0.3', daemon: 'harp' },
];

beforeAll(() => {
  const build = spawnSync(
    process.execPath,
    [path.join(root, 'node_modules', '@typescript', 'native', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
    { cwd: root, encoding: 'utf8' },
  );
  if (build.status !== 0) throw new Error(`npm run build failed:\n${build.stdout}${build.stderr}`);
}, 120_000);

const daemons = (url: string) => ({
  docker: ['app_api:daemon:register', 'docker_local', 'Docker', 'docker-install', 'http', 'localhost', url, '--net', 'host'],
  'remote-dsp': [
    'app_api:daemon:register',
    'docker_remote',
    'Remote Docker',
    'docker-install',
    'https',
    'dsp.example.com:2375',
    url,
    '--net',
    'host',
    '--haproxy_password',
    'dsp-password',
  ],
  harp: [
    'app_api:daemon:register',
    'harp_proxy_docker',
    'HaRP',
    'docker-install',
    'http',
    'appapi-harp:8780',
    url,
    '--net',
    'nextcloud',
    '--harp',
    '--harp_frp_address',
    'appapi-harp:8782',
    '--harp_shared_key',
    'harp-shared-key-for-tests',
  ],
});

describe.each(cases)('the production build behind $title', ({ appApiVersion, daemon: daemonKind }) => {
  const harp = daemonKind === 'harp';
  let sim: Simulator;
  let app: AppProcess;
  let storage: string;
  let environment: Record<string, string>;
  let deployment: Deployment;
  let registration: { code: number; output: string };

  beforeAll(async () => {
    sim = await startSimulator({ dav: false, appApiVersion });
    storage = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-gateway-volume-'));
    const port = await freePort();
    const harpBase = `${sim.url}/exapps/mcp_gateway`;
    const daemon = daemons(sim.url)[daemonKind];
    expect(await sim.occ(daemon)).toMatchObject({ code: 0 });
    // As an admin installs it: the manifest, and (behind HaRP) the public URL as a declared variable.
    const registering = sim.occ([
      'app_api:app:register',
      'mcp_gateway',
      daemon[1]!,
      '--info-xml',
      infoXmlPath,
      '--sim-port',
      String(port),
      '--wait-finish',
      ...(harp ? ['--env', `MCP_GATEWAY_PUBLIC_URL=${harpBase}`] : []),
    ]);
    // AppAPI creates the container with its environment once the app row exists, then waits for the heartbeat.
    const until = Date.now() + 10_000;
    while (!sim.state.apps.has('mcp_gateway') && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
    environment = sim.deployEnvironment('mcp_gateway')!;
    expect(environment).not.toBeNull();
    // The one difference: the volume AppAPI mounts at APP_PERSISTENT_STORAGE is a temporary directory here.
    app = await startAppProcess({ nextcloudUrl: sim.url, production: { env: { ...environment, APP_PERSISTENT_STORAGE: storage } } });
    registration = await registering;
    const base = harp ? harpBase : `${sim.url}/index.php/apps/app_api/proxy/mcp_gateway`;
    deployment = {
      kind: harp ? 'harp' : 'php',
      sim,
      app,
      base,
      connector: `${base}/mcp`,
      url: (suffix: string) => `${base}/${suffix.replace(/^\//, '')}`,
    } as Deployment;
  }, 60_000);
  afterAll(async () => {
    await app?.stop();
    await sim?.stop();
    fs.rmSync(storage, { recursive: true, force: true });
  });

  it('gets no "Array" and nothing empty from the manifest, and starts on exactly that environment', () => {
    expect(registration).toMatchObject({ code: 0 });
    expect(Object.values(environment)).not.toContain('Array');
    expect(Object.values(environment)).not.toContain('');
    expect(environment).toMatchObject({
      APP_ID: 'mcp_gateway',
      AA_VERSION: `${appApiVersion.split('.')[0]}.0.0`,
      MCP_GATEWAY_POLICY_TTL_SECONDS: '30',
      LOG_LEVEL: 'info',
    });
    if (harp) expect(environment).toMatchObject({ HP_SHARED_KEY: 'harp-shared-key-for-tests', APP_HOST: '127.0.0.1' });
    else expect(environment.HP_SHARED_KEY).toBeUndefined();
    expect(app.output()).toContain(`MCP Gateway ${environment.APP_VERSION} ready`);
    expect(app.output()).not.toMatch(/"level":(40|50|60)/);
    expect(sim.state.apps.get('mcp_gateway')).toMatchObject({ enabled: true, status: { init: 100, error: '' } });
  });

  it('signs a client in with OAuth and runs a tool as the consenting user', async () => {
    const { obtainCode, exchange } = rawOAuth(() => deployment);
    const tokens = await exchange(await obtainCode('bob', 'files.read'));
    expect(tokens.status).toBe(200);
    const client = new Client({ name: 'production-build-test', version: '1' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(deployment.connector), {
        requestInit: { headers: { authorization: `Bearer ${tokens.body.access_token}` } },
      }),
    );
    try {
      const result = await client.callTool({ name: 'whoami', arguments: {} });
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toMatchObject({ userId: 'bob', scopes: ['files.read'] });
    } finally {
      await client.close();
    }
  });
});
