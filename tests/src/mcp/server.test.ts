// The MCP server's own rules, with the SDK's client over an in-memory pair: tools/list and tools/call follow each
// request's grant, arguments and results are checked against the schemas, refusals become tool errors, slow
// calls report progress, and every call lands in the audit log.
import { Client } from '@modelcontextprotocol/client';
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { InMemoryTransport } from '@modelcontextprotocol/server';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { NextcloudError, createNextcloud } from '../../../lib/index.js';
import type { RequestGrant } from '../../../src/mcp/server.js';
import { createMcpServer, describeTools, progressReporter } from '../../../src/mcp/server.js';
import type { Scope } from '../../../src/core/scopes.js';
import { DEFAULT_POLICY } from '../../../src/policy/policy.js';
import type { AuditStore } from '../../../src/store/audit.js';
import { auditStore } from '../../../src/store/audit.js';
import type { Db } from '../../../src/store/database.js';
import { migrate, openDatabase } from '../../../src/store/database.js';
import type { Tool } from '../../../src/tools/tool.js';
import { defineTool } from '../../../src/tools/tool.js';
import { allTools } from '../../../src/tools/index.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const noHints = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };
const echo = defineTool({
  name: 'echo_read',
  title: 'Echo',
  description: 'Echoes a word.',
  scopes: { allOf: ['files.read'] },
  input: z.object({ word: z.string().min(1).describe('A word'), times: z.number().int().min(1).max(3).default(1) }),
  output: z.object({ echoed: z.string() }),
  annotations: noHints,
  async run({ word, times }, context) {
    context.audit(`/echo/${word}`);
    return { structured: { echoed: Array(times).fill(word).join(' ') } };
  },
});
const writer = defineTool({
  name: 'echo_write',
  title: 'Write',
  description: 'Pretends to write.',
  scopes: { allOf: ['files.write'] },
  input: z.object({}),
  output: z.object({ ok: z.boolean() }),
  annotations: { ...noHints, readOnlyHint: false },
  async run() {
    throw new NextcloudError({ code: 'forbidden', status: 403, message: 'bob has read-only access to /Shared/Plans.' });
  },
});
const anyReader = defineTool({
  name: 'any_read',
  title: 'Any',
  description: 'Needs any read scope.',
  scopes: { anyOf: ['calendar.read', 'talk.read'] },
  input: z.object({}),
  output: z.object({ ok: z.boolean() }),
  annotations: noHints,
  async run() {
    return { structured: { ok: true } };
  },
});
const slow = defineTool({
  name: 'slow_read',
  title: 'Slow',
  description: 'Takes a while.',
  scopes: { allOf: ['files.read'] },
  input: z.object({ ms: z.number() }),
  output: z.object({ done: z.boolean() }),
  annotations: noHints,
  async run({ ms }, context) {
    await context.progress(10, 100, 'started');
    await context.progress(5, 100, 'going backwards is dropped');
    await new Promise((resolve) => setTimeout(resolve, ms));
    return { structured: { done: true } };
  },
});
const broken = defineTool({
  name: 'broken_read',
  title: 'Broken',
  description: 'Breaks.',
  scopes: { allOf: ['files.read'] },
  input: z.object({ how: z.enum(['throw', 'shape']) }),
  output: z.object({ count: z.number() }),
  annotations: noHints,
  async run({ how }) {
    if (how === 'throw') throw new Error('secret internal detail at /srv/app.js:12');
    return { structured: { count: 'many' as unknown as number } };
  },
});
const tools = [echo, writer, anyReader, slow, broken] as unknown as Tool[];

let dir: string;
let db: Db;
let audit: AuditStore;
let client: Client;
let scopes: Scope[];
const logged: string[] = [];

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp-server-test-'));
  db = openDatabase(dir);
  migrate(db);
  audit = auditStore(db);
  scopes = ['files.read'];
  const log = pino({ level: 'info' }, { write: (line: string) => void logged.push(line) });
  const server = createMcpServer({
    name: 'Test',
    version: '1',
    nextcloud: createNextcloud({ baseUrl: 'http://127.0.0.1:9', appId: 'x', appVersion: '1', appSecret: 's'.repeat(20) }),
    tools,
    audit,
    log,
  });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  // What the endpoint does per HTTP request: attach the verified grant of that request.
  const send = clientSide.send.bind(clientSide);
  clientSide.send = (message: JSONRPCMessage) => {
    const grant: RequestGrant = {
      identity: { userId: 'alice', clientId: 'client-1', scopes: [...scopes], grantId: 'g', issuer: 'i', expiresAt: 0 },
      policy: DEFAULT_POLICY,
      webRoot: 'http://cloud',
    };
    return send(message, { authInfo: { token: '', clientId: 'client-1', scopes, extra: { grant } } });
  };
  await server.connect(serverSide);
  client = new Client({ name: 'test', version: '1' });
  await client.connect(clientSide);
});
afterEach(async () => {
  await client.close();
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('the MCP server', () => {
  it("lists only the tools the request's grant allows, with schemas and annotations", async () => {
    const listed = await client.listTools();
    expect(listed.tools.map((tool) => tool.name).sort()).toEqual(['broken_read', 'echo_read', 'slow_read']);
    const described = listed.tools.find((tool) => tool.name === 'echo_read')!;
    expect(described.inputSchema.properties).toHaveProperty('word');
    expect(described.inputSchema.required).toEqual(['word']);
    expect(described.outputSchema?.properties).toHaveProperty('echoed');
    expect(described.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false });
    // The same session with a wider grant on the next request (after a step-up) sees more.
    scopes = ['files.read', 'files.write', 'talk.read'];
    expect((await client.listTools()).tools.map((tool) => tool.name).sort()).toEqual([
      'any_read',
      'broken_read',
      'echo_read',
      'echo_write',
      'slow_read',
    ]);
  });

  it('runs a tool with validated arguments and records the call in the audit log', async () => {
    const result = await client.callTool({ name: 'echo_read', arguments: { word: 'tea', times: 2 } });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toEqual({ echoed: 'tea tea' });
    expect(JSON.parse((result.content as Array<{ text: string }>)[0]!.text)).toEqual({ echoed: 'tea tea' });
    const [entry] = audit.query({ tool: 'echo_read' });
    expect(entry).toMatchObject({ userId: 'alice', clientId: 'client-1', target: '/echo/tea', outcome: 'ok', errorCode: null });
    expect(entry!.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('answers bad arguments with a tool error naming the argument, so the model can correct itself', async () => {
    const result = await client.callTool({ name: 'echo_read', arguments: { word: '', times: 9 } });
    expect(result.isError).toBe(true);
    const text = (result.content as Array<{ text: string }>)[0]!.text;
    expect(text).toContain('word');
    expect(text).toContain('times');
    expect(audit.query({ tool: 'echo_read' })[0]).toMatchObject({ outcome: 'error', errorCode: 'invalid_input' });
  });

  it("turns Nextcloud's refusals into tool errors with its message, and hides internal faults", async () => {
    scopes = ['files.read', 'files.write'];
    const refused = await client.callTool({ name: 'echo_write', arguments: {} });
    expect(refused).toMatchObject({ isError: true, content: [{ type: 'text', text: 'bob has read-only access to /Shared/Plans.' }] });
    expect(audit.query({ tool: 'echo_write' })[0]).toMatchObject({ outcome: 'error', errorCode: 'forbidden' });

    const thrown = await client.callTool({ name: 'broken_read', arguments: { how: 'throw' } });
    expect(thrown.isError).toBe(true);
    expect(JSON.stringify(thrown)).not.toContain('/srv/app.js');
    expect(logged.some((line) => line.includes('secret internal detail'))).toBe(true);
    const shape = await client.callTool({ name: 'broken_read', arguments: { how: 'shape' } });
    expect(shape.isError).toBe(true);
    expect(audit.query({ tool: 'broken_read' }).map((entry) => entry.outcome)).toEqual(['failed', 'failed']);
  });

  it('refuses a tool outside the grant as unknown, even if a client skips the HTTP check', async () => {
    await expect(client.callTool({ name: 'echo_write', arguments: {} })).rejects.toThrow(/Unknown tool: echo_write/);
    await expect(client.callTool({ name: 'no_such_tool', arguments: {} })).rejects.toThrow(/Unknown tool/);
  });

  it('reports progress on slow calls to a client that asked: once per second of silence, always growing', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      const seen: Array<{ progress: number; message?: string }> = [];
      const call = client.callTool({ name: 'slow_read', arguments: { ms: 3500 } }, { onprogress: (progress) => void seen.push(progress) });
      await vi.advanceTimersByTimeAsync(3500);
      const result = await call;
      expect(result.structuredContent).toEqual({ done: true });
      // The tool's own report, then a heartbeat after each second without one: at 1, 2 and 3 s.
      expect(seen).toEqual([
        { progress: 10, total: 100, message: 'started' },
        { progress: 11, message: 'working (1 s)' },
        { progress: 12, message: 'working (2 s)' },
        { progress: 13, message: 'working (3 s)' },
      ]);
      // Without a progress token nothing is sent, however long the call takes.
      const stray: unknown[] = [];
      client.setNotificationHandler('notifications/progress', async (notification) => void stray.push(notification));
      const quiet = client.callTool({ name: 'slow_read', arguments: { ms: 2500 } });
      await vi.advanceTimersByTimeAsync(2500);
      await quiet;
      expect(stray).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('re-arms the heartbeat on every report, so a report resets the second of silence', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      const sent: Array<{ progress: number; message?: string }> = [];
      const reporter = progressReporter({
        _meta: { progressToken: 't' },
        notify: async (notification) => void sent.push(notification.params as { progress: number }),
      });
      await vi.advanceTimersByTimeAsync(900);
      await reporter.report(5, 10, 'half');
      await vi.advanceTimersByTimeAsync(900);
      expect(sent.map((entry) => entry.progress)).toEqual([5]);
      await vi.advanceTimersByTimeAsync(100);
      expect(sent.map((entry) => entry.progress)).toEqual([5, 6]);
      await vi.advanceTimersByTimeAsync(1000);
      expect(sent.map((entry) => entry.progress)).toEqual([5, 6, 7]);
      reporter.stop();
      await vi.advanceTimersByTimeAsync(5000);
      expect(sent).toHaveLength(3);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('the shipped tools', () => {
  it('each declare a snake_case name, scopes, described arguments and all four annotations', () => {
    const names = new Set<string>();
    for (const [tool, described] of allTools.map((tool, index) => [tool, describeTools(allTools)[index]!] as const)) {
      expect(tool.name).toMatch(/^[a-z][a-z0-9_]*$/);
      expect(names.has(tool.name)).toBe(false);
      names.add(tool.name);
      expect(tool.description.length).toBeGreaterThan(20);
      expect(Object.keys(tool.annotations).sort()).toEqual(['destructiveHint', 'idempotentHint', 'openWorldHint', 'readOnlyHint']);
      expect(described.inputSchema.type).toBe('object');
      expect(described.outputSchema?.type).toBe('object');
      for (const [name, property] of Object.entries(described.inputSchema.properties ?? {})) {
        expect((property as { description?: string }).description, `${tool.name}.${name} has a description`).toBeTruthy();
      }
      const scopes = 'anyOf' in tool.scopes ? tool.scopes.anyOf : tool.scopes.allOf;
      const writes = scopes.some((scope) => scope.endsWith('.write'));
      // A tool that needs a write scope must not claim to be read-only, and the other way round.
      expect(tool.annotations.readOnlyHint).toBe(!writes);
    }
  });
});
