// A person's confirmation before destructive writes, through the real server behind HaRP with the SDK's own
// clients signed in through the browser: a client that can show the person a form is asked (accept, decline,
// cancel; on the stateless 2026-07-28 revision and in a 2025 session), a client that cannot gets a plan and a token
// that works once, for exactly the call it was issued for. The admin's setting and switched-off tools apply at once.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { policyKeys } from '../../../src/policy/policy.js';
import { chromiumAvailable, launchChromium } from '../../support/browser.js';
import type { Deployment } from '../../support/deployment.js';
import { deploy, settingsReread } from '../../support/deployment.js';
import type { ConnectOptions, ElicitationAnswer, McpConnection } from '../../support/mcp-oauth-client.js';
import { BrowserOAuthProvider, connectWithOAuth } from '../../support/mcp-oauth-client.js';

type Answer = Awaited<ReturnType<ElicitationAnswer>>;

let d: Deployment;
let browser: Browser;
const providers: BrowserOAuthProvider[] = [];
const text = (result: CallToolResult) => (result.content[0] as { text: string }).text;

/** A person in front of the client: answers each question with the next answer given, and remembers what was asked. */
function person() {
  const answers: Answer[] = [];
  const asked: string[] = [];
  const answer: ElicitationAnswer = async (request) => {
    asked.push(request.message);
    const next = answers.shift();
    if (!next) throw new Error(`Nobody was expected to be asked: ${request.message}`);
    return next;
  };
  return { answers, asked, answer };
}

async function connect(options: ConnectOptions): Promise<McpConnection> {
  const provider = await BrowserOAuthProvider.create(browser, { user: 'alice', password: 'alice' });
  providers.push(provider);
  return connectWithOAuth(d.connector, provider, options);
}

function setPolicy(key: string, value: string | null) {
  const config = d.sim.state.appConfig.get('mcp_gateway') ?? new Map<string, { value: string; sensitive: boolean }>();
  d.sim.state.appConfig.set('mcp_gateway', config);
  if (value === null) config.delete(key);
  else config.set(key, { value, sensitive: false });
}

/** The next request after this is answered with the policy as it stands now (a fresh read that has completed). */
const policyApplies = () => settingsReread(d);

/** Whether alice has something at the path, as Nextcloud tells it (a read, never held up for confirmation). */
async function exists(connection: McpConnection, path: string): Promise<boolean> {
  const stat = await connection.callTool({ name: 'files_stat', arguments: { path } });
  if (stat.isError) expect(text(stat)).toMatch(/not found|does not exist|no file or folder/i);
  return !stat.isError;
}

async function write(connection: McpConnection, path: string) {
  const result = await connection.callTool({ name: 'files_write_text', arguments: { path, content: `content of ${path}\n` } });
  expect(result.isError, text(result)).toBeFalsy();
}

describe.skipIf(!chromiumAvailable() && !process.env.CI)('confirmation before destructive writes', () => {
  beforeAll(async () => {
    d = await deploy('harp', { env: { MCP_GATEWAY_POLICY_TTL_SECONDS: '0.05' }, sim: { dav: true } });
    browser = await launchChromium();
  });
  afterAll(async () => {
    for (const provider of providers) await provider.close();
    await browser?.close();
    await d?.stop();
  });

  it('asks a client that declares elicitation, on the 2026-07-28 revision: accept runs it, decline and cancel change nothing', async () => {
    const alice = person();
    const connection = await connect({ sdk: 'v2', protocolVersion: '2026-07-28', elicitation: alice.answer });
    await connection.callTool({ name: 'files_create_folder', arguments: { path: '/Confirm26' } });
    for (const name of ['a', 'b', 'c', 'd']) await write(connection, `/Confirm26/${name}.txt`);
    expect(alice.asked).toEqual([]);

    alice.answers.push({ action: 'accept', content: { confirm: true } });
    const deleted = await connection.callTool({ name: 'files_delete', arguments: { path: '/Confirm26/a.txt' } });
    expect(deleted.isError, text(deleted)).toBeFalsy();
    expect(deleted.structuredContent).toMatchObject({ outcome: 'moved_to_trash' });
    expect(alice.asked[0]).toContain('Deletes the file /Confirm26/a.txt');
    expect(alice.asked[0]).toContain('trash bin');
    expect(await exists(connection, '/Confirm26/a.txt')).toBe(false);

    alice.answers.push({ action: 'decline' });
    const declined = await connection.callTool({ name: 'files_delete', arguments: { path: '/Confirm26/b.txt' } });
    expect(declined.isError).toBe(true);
    expect(text(declined)).toContain('the person declined');
    expect(await exists(connection, '/Confirm26/b.txt')).toBe(true);

    alice.answers.push({ action: 'cancel' });
    const cancelled = await connection.callTool({ name: 'files_delete', arguments: { path: '/Confirm26/c.txt' } });
    expect(cancelled.isError).toBe(true);
    expect(text(cancelled)).toContain('dismissed the question');
    expect(await exists(connection, '/Confirm26/c.txt')).toBe(true);

    // Accepting the form without ticking the box is no yes.
    alice.answers.push({ action: 'accept', content: { confirm: false } });
    const unticked = await connection.callTool({ name: 'files_delete', arguments: { path: '/Confirm26/d.txt' } });
    expect(text(unticked)).toContain('the person declined');
    expect(await exists(connection, '/Confirm26/d.txt')).toBe(true);

    // A token proves nothing where the person can be asked: the question is put all the same.
    alice.answers.push({ action: 'decline' });
    const tokened = await connection.callTool({
      name: 'files_delete',
      arguments: { path: '/Confirm26/d.txt', confirmationToken: 'c1.9999999999.x.y' },
    });
    expect(text(tokened)).toContain('the person declined');
    expect(await exists(connection, '/Confirm26/d.txt')).toBe(true);
    expect(alice.asked).toHaveLength(5);
    await connection.close();
  });

  it('asks inside a 2025 session over a streaming entrance, and runs the call once the person agrees', async () => {
    const alice = person();
    const connection = await connect({ sdk: 'v2', protocolVersion: '2025-11-25', elicitation: alice.answer });
    expect(connection.sessionId).toBeTruthy();
    await connection.callTool({ name: 'files_create_folder', arguments: { path: '/Confirm25' } });
    await write(connection, '/Confirm25/a.txt');
    await write(connection, '/Confirm25/b.txt');
    alice.answers.push({ action: 'accept', content: { confirm: true } });
    const deleted = await connection.callTool({ name: 'files_delete', arguments: { path: '/Confirm25/a.txt' } });
    expect(deleted.isError, text(deleted)).toBeFalsy();
    expect(await exists(connection, '/Confirm25/a.txt')).toBe(false);
    alice.answers.push({ action: 'decline' });
    const declined = await connection.callTool({ name: 'files_delete', arguments: { path: '/Confirm25/b.txt' } });
    expect(text(declined)).toContain('the person declined');
    expect(await exists(connection, '/Confirm25/b.txt')).toBe(true);
    expect(alice.asked).toHaveLength(2);
    await connection.close();
  });

  it('asks over the legacy HTTP+SSE transport too, where the question travels on the event stream', async () => {
    const alice = person();
    const provider = await BrowserOAuthProvider.create(browser, { user: 'alice', password: 'alice' });
    providers.push(provider);
    const connection = await connectWithOAuth(d.url('sse'), provider, { transport: 'sse', elicitation: alice.answer });
    await connection.callTool({ name: 'files_create_folder', arguments: { path: '/ConfirmSse' } });
    await write(connection, '/ConfirmSse/a.txt');
    alice.answers.push({ action: 'accept', content: { confirm: true } });
    const deleted = await connection.callTool({ name: 'files_delete', arguments: { path: '/ConfirmSse/a.txt' } });
    expect(deleted.isError, text(deleted)).toBeFalsy();
    expect(alice.asked).toHaveLength(1);
    expect(await exists(connection, '/ConfirmSse/a.txt')).toBe(false);
    await connection.close();
  });

  it('behind the PHP proxy, gives a 2025 session the plan and a token (a question could not reach the person through its buffered answer) and asks on 2026-07-28', async () => {
    const alice = person();
    const provider = await BrowserOAuthProvider.create(browser, { user: 'alice', password: 'alice' });
    providers.push(provider);
    const phpConnector = `${d.sim.url}/index.php/apps/app_api/proxy/mcp_gateway/mcp`;
    const connection = await connectWithOAuth(phpConnector, provider, {
      sdk: 'v2',
      protocolVersion: '2025-11-25',
      elicitation: alice.answer,
    });
    await connection.callTool({ name: 'files_create_folder', arguments: { path: '/ConfirmPhp' } });
    await write(connection, '/ConfirmPhp/a.txt');
    const planned = await connection.callTool({ name: 'files_delete', arguments: { path: '/ConfirmPhp/a.txt' } });
    expect(text(planned)).toMatch(/^Confirmation needed\. Deletes the file \/ConfirmPhp\/a\.txt/);
    expect(alice.asked).toEqual([]);
    const token = /"confirmationToken": "([^"]+)"/.exec(text(planned))![1]!;
    const confirmed = await connection.callTool({
      name: 'files_delete',
      arguments: { path: '/ConfirmPhp/a.txt', confirmationToken: token },
    });
    expect(confirmed.isError, text(confirmed)).toBeFalsy();
    expect(await exists(connection, '/ConfirmPhp/a.txt')).toBe(false);
    await connection.close();

    // On the 2026-07-28 revision the question is part of the call's answer, so the same entrance can ask.
    const modern = await connectWithOAuth(phpConnector, provider, { sdk: 'v2', protocolVersion: '2026-07-28', elicitation: alice.answer });
    await write(modern, '/ConfirmPhp/b.txt');
    alice.answers.push({ action: 'accept', content: { confirm: true } });
    const deleted = await modern.callTool({ name: 'files_delete', arguments: { path: '/ConfirmPhp/b.txt' } });
    expect(deleted.isError, text(deleted)).toBeFalsy();
    expect(alice.asked).toHaveLength(1);
    expect(await exists(modern, '/ConfirmPhp/b.txt')).toBe(false);
    await modern.close();
  });

  it('gives a client without elicitation a plan and a token that confirms exactly that call, once', async () => {
    const connection = await connect({ sdk: 'v1' });
    await connection.callTool({ name: 'files_create_folder', arguments: { path: '/ConfirmPlan' } });
    for (const name of ['a', 'b']) await write(connection, `/ConfirmPlan/${name}.txt`);
    // The token is advertised on write tools, and only there.
    const tools = await connection.listTools();
    const schemaOf = (name: string) => tools.find((tool) => tool.name === name)!.inputSchema as { properties: Record<string, unknown> };
    expect(schemaOf('files_delete').properties.confirmationToken).toBeDefined();
    expect(schemaOf('files_read').properties.confirmationToken).toBeUndefined();

    const planned = await connection.callTool({ name: 'files_delete', arguments: { path: '/ConfirmPlan/a.txt' } });
    expect(planned.isError).toBe(true);
    expect(text(planned)).toMatch(/^Confirmation needed\. Deletes the file \/ConfirmPlan\/a\.txt/);
    expect(text(planned)).toContain('Nothing has been changed yet');
    expect(await exists(connection, '/ConfirmPlan/a.txt')).toBe(true);
    const token = /"confirmationToken": "([^"]+)"/.exec(text(planned))![1]!;

    // The token of a.txt does not delete b.txt.
    const altered = await connection.callTool({
      name: 'files_delete',
      arguments: { path: '/ConfirmPlan/b.txt', confirmationToken: token },
    });
    expect(text(altered)).toContain('not issued for this call');
    expect(await exists(connection, '/ConfirmPlan/b.txt')).toBe(true);
    const forged = await connection.callTool({
      name: 'files_delete',
      arguments: { path: '/ConfirmPlan/a.txt', confirmationToken: `${token.slice(0, -4)}AAAA` },
    });
    expect(text(forged)).toContain('not valid');
    expect(await exists(connection, '/ConfirmPlan/a.txt')).toBe(true);

    const confirmed = await connection.callTool({
      name: 'files_delete',
      arguments: { path: '/ConfirmPlan/a.txt', confirmationToken: token },
    });
    expect(confirmed.isError, text(confirmed)).toBeFalsy();
    expect(await exists(connection, '/ConfirmPlan/a.txt')).toBe(false);

    await write(connection, '/ConfirmPlan/a.txt');
    const again = await connection.callTool({ name: 'files_delete', arguments: { path: '/ConfirmPlan/a.txt', confirmationToken: token } });
    // Used once; and the new a.txt is not the file the person was shown either.
    expect(text(again)).toContain('the confirmation token is not valid');
    expect(await exists(connection, '/ConfirmPlan/a.txt')).toBe(true);

    // Creating a file replaces nothing, so it is never held up; replacing one is.
    const stat = await connection.callTool({ name: 'files_stat', arguments: { path: '/ConfirmPlan/a.txt' } });
    const etag = (stat.structuredContent as { etag: string }).etag;
    const replace = await connection.callTool({
      name: 'files_write_text',
      arguments: { path: '/ConfirmPlan/a.txt', content: 'new', etag },
    });
    expect(text(replace)).toContain('Replaces the whole content of the file /ConfirmPlan/a.txt');
    expect(text(replace)).toContain('kept as a version');
    await connection.close();
  });

  it("follows the admin's setting (never, always) and hides switched-off tools from every client", async () => {
    const connection = await connect({ sdk: 'v1' });
    await connection.callTool({ name: 'files_create_folder', arguments: { path: '/ConfirmAdmin' } });
    await write(connection, '/ConfirmAdmin/a.txt');
    try {
      setPolicy(policyKeys.confirmation, 'never');
      await policyApplies();
      const deleted = await connection.callTool({ name: 'files_delete', arguments: { path: '/ConfirmAdmin/a.txt' } });
      expect(deleted.isError, text(deleted)).toBeFalsy();
      expect(await exists(connection, '/ConfirmAdmin/a.txt')).toBe(false);

      setPolicy(policyKeys.confirmation, 'always');
      await policyApplies();
      const folder = await connection.callTool({ name: 'files_create_folder', arguments: { path: '/ConfirmAdmin/Sub' } });
      expect(text(folder)).toMatch(
        /^Confirmation needed\. Create a folder \(files_create_folder\) with \{"parents":false,"path":"\/ConfirmAdmin\/Sub"\}/,
      );
      expect(await exists(connection, '/ConfirmAdmin/Sub')).toBe(false);

      setPolicy(policyKeys.confirmation, null);
      setPolicy(policyKeys.disabledTools, 'files_copy, files_move');
      await policyApplies();
      const names = (await connection.listTools()).map((tool) => tool.name);
      expect(names).toContain('files_delete');
      expect(names).not.toContain('files_copy');
      expect(names).not.toContain('files_move');
      const refused = await connection
        .callTool({ name: 'files_copy', arguments: { from: '/ConfirmAdmin', to: '/ConfirmAdmin2' } })
        .then(text, (error: Error) => error.message);
      expect(refused).toContain('Unknown tool: files_copy');
      expect(await exists(connection, '/ConfirmAdmin2')).toBe(false);
    } finally {
      setPolicy(policyKeys.confirmation, null);
      setPolicy(policyKeys.disabledTools, null);
    }
    await connection.close();
  });
});
