// Tools of apps a user may lack (Notes, Deck): offered only to users Nextcloud lets use the app, asked once a
// minute per user, and refused in words when called anyway.
import { Client } from '@modelcontextprotocol/client';
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { InMemoryTransport } from '@modelcontextprotocol/server';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Nextcloud } from '../../../lib/index.js';
import { NextcloudError } from '../../../lib/index.js';
import type { RequestGrant } from '../../../src/mcp/server.js';
import { createMcpServer } from '../../../src/mcp/server.js';
import { userApps } from '../../../src/mcp/user-apps.js';
import { DEFAULT_POLICY } from '../../../src/policy/policy.js';
import type { Tool } from '../../../src/tools/tool.js';
import { READS_ONLY, defineTool } from '../../../src/tools/tool.js';

/** A Nextcloud that only answers which apps each user has, and counts how often it was asked. */
function appsOnly(apps: Record<string, string[] | 'down'>) {
  const asked: string[] = [];
  const nextcloud = {
    as: (userId: string) => ({
      apps: async () => {
        asked.push(userId);
        const known = apps[userId];
        if (known === 'down' || known === undefined)
          throw new NextcloudError({ code: 'unavailable', status: 503, message: 'Nextcloud is in maintenance mode.' });
        return new Set(known);
      },
    }),
  } as unknown as Nextcloud;
  return { nextcloud, asked };
}

const tool = (name: string, app?: 'notes' | 'deck') =>
  defineTool({
    name,
    title: name,
    description: name,
    scopes: { allOf: ['files.read'] },
    input: z.object({}),
    output: z.object({ ok: z.boolean() }),
    annotations: READS_ONLY,
    ...(app ? { app } : {}),
    run: async () => ({ structured: { ok: true } }),
  }) as unknown as Tool;

async function connectAs(userId: string, nextcloud: Nextcloud, apps = userApps(nextcloud)) {
  const server = createMcpServer({
    name: 'Test',
    version: '1',
    nextcloud,
    tools: [tool('plain_read'), tool('notes_read', 'notes'), tool('deck_read', 'deck')],
    audit: { record: () => undefined } as never,
    log: pino({ level: 'silent' }),
    userApps: apps,
  });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const send = clientSide.send.bind(clientSide);
  clientSide.send = (message: JSONRPCMessage) => {
    const grant: RequestGrant = {
      identity: { userId, clientId: 'client-1', scopes: ['files.read'], grantId: 'g', issuer: 'i', expiresAt: 0 },
      policy: DEFAULT_POLICY,
      webRoot: 'http://cloud',
    };
    return send(message, { authInfo: { token: '', clientId: 'client-1', scopes: ['files.read'], extra: { grant } } });
  };
  await server.connect(serverSide);
  const client = new Client({ name: 'test', version: '1' });
  await client.connect(clientSide);
  return client;
}

describe('tools of apps a user may lack', () => {
  it('are listed and callable only for users the app is enabled for', async () => {
    const { nextcloud } = appsOnly({ alice: ['files', 'notes', 'deck'], bob: ['files', 'deck'] });
    const alice = await connectAs('alice', nextcloud);
    expect((await alice.listTools()).tools.map((listed) => listed.name)).toEqual(['plain_read', 'notes_read', 'deck_read']);
    const bob = await connectAs('bob', nextcloud);
    expect((await bob.listTools()).tools.map((listed) => listed.name)).toEqual(['plain_read', 'deck_read']);
    const refused = await bob.callTool({ name: 'notes_read', arguments: {} });
    expect(refused.isError).toBe(true);
    expect(JSON.stringify(refused.content)).toContain('the notes app is not installed in this Nextcloud or not enabled for this account');
    expect((await bob.callTool({ name: 'deck_read', arguments: {} })).structuredContent).toEqual({ ok: true });
  });

  it('are left out of the list while Nextcloud cannot say, and asked about again on the next request', async () => {
    const answers: Record<string, string[] | 'down'> = { carol: 'down' };
    const { nextcloud, asked } = appsOnly(answers);
    const apps = userApps(nextcloud);
    const carol = await connectAs('carol', nextcloud, apps);
    expect((await carol.listTools()).tools.map((listed) => listed.name)).toEqual(['plain_read']);
    answers.carol = ['notes'];
    expect((await carol.listTools()).tools.map((listed) => listed.name)).toEqual(['plain_read', 'notes_read']);
    expect(asked).toEqual(['carol', 'carol']);
  });

  it('are asked about once per user and minute, never answering one user with another user’s apps', async () => {
    let now = 0;
    const answers: Record<string, string[]> = { alice: ['notes'], bob: [] };
    const { nextcloud, asked } = appsOnly(answers);
    const apps = userApps(nextcloud, { ttlMs: 60_000, now: () => now });
    expect([...(await apps.of('alice'))!]).toEqual(['notes']);
    expect([...(await apps.of('bob'))!]).toEqual([]);
    answers.alice = [];
    now = 59_000;
    expect([...(await apps.of('alice'))!]).toEqual(['notes']);
    now = 60_000;
    expect([...(await apps.of('alice'))!]).toEqual([]);
    expect(asked).toEqual(['alice', 'bob', 'alice']);
  });
});
