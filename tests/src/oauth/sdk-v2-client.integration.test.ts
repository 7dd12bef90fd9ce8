// The MCP TypeScript SDK's v2 client (@modelcontextprotocol/client) through both of Nextcloud's proxies, as an assistant
// built on it connects: nothing stored, its own discovery from the 401, registration, a real browser through login
// and consent, tools on one pinned protocol revision, and the step-up to a wider scope after a 403. The v2 client
// is stricter than v1 about the authorization server: it checks the RFC 9207 `iss` on the way back, the issuer
// echo in the metadata, and binds what it stores to that issuer; a refusal of any of these fails the cold start.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium } from '../../support/browser.js';
import type { Deployment, ProxyKind } from '../../support/deployment.js';
import { deploy } from '../../support/deployment.js';
import type { V2ProtocolVersion } from '../../support/mcp-oauth-client.js';
import { BrowserOAuthProvider, connectWithOAuth, isUnauthorizedError } from '../../support/mcp-oauth-client.js';
import type { Exchange } from '../../support/recording-fetch.js';
import { recordingFetch } from '../../support/recording-fetch.js';

const META = {
  protocolVersion: 'io.modelcontextprotocol/protocolVersion',
  clientInfo: 'io.modelcontextprotocol/clientInfo',
  clientCapabilities: 'io.modelcontextprotocol/clientCapabilities',
};

/** Everything but files.read: what alice unticks on the first consent page. */
const ALL_BUT_FILES_READ = ['files.write', 'calendar.read', 'calendar.write', 'talk.read', 'talk.write'];

type Json = Record<string, unknown>;
const json = async (exchange: Exchange) => JSON.parse(await exchange.responseText) as Json;

describe.skipIf(!chromiumAvailable() && !process.env.CI).each<ProxyKind>(['php', 'harp'])(
  'The MCP SDK v2 client through the %s proxy',
  (kind) => {
    let deployment: Deployment;
    let browser: Browser;
    const providers: BrowserOAuthProvider[] = [];

    beforeAll(async () => {
      deployment = await deploy(kind, { sim: { dav: true } });
      browser = await launchChromium();
    });
    afterAll(async () => {
      for (const provider of providers) await provider.close();
      await browser?.close();
      await deployment?.stop();
    });

    async function coldStartToolsAndStepUp(protocolVersion: V2ProtocolVersion) {
      const recording = recordingFetch();
      const provider = await BrowserOAuthProvider.create(browser, { user: 'alice', password: 'alice', untick: ALL_BUT_FILES_READ });
      providers.push(provider);
      const connection = await connectWithOAuth(deployment.connector, provider, { sdk: 'v2', protocolVersion, fetch: recording.fetch });
      expect(connection.protocolVersion).toBe(protocolVersion);
      expect(provider.consentShown).toBe(1);

      // The client found its way alone: 401 → protected resource metadata → authorization server metadata →
      // registration → (browser) → token → the first request again, now with the token.
      const { exchanges } = recording;
      const refused = exchanges[0]!;
      expect(refused).toMatchObject({ method: 'POST', url: deployment.connector, status: 401 });
      expect(refused.requestHeaders.authorization).toBeUndefined();
      const resourceMetadataUrl = /resource_metadata="([^"]+)"/.exec(refused.responseHeaders['www-authenticate'] ?? '')?.[1];
      const resourceMetadata = exchanges.findIndex((exchange) => exchange.url === resourceMetadataUrl && exchange.status === 200);
      expect(resourceMetadata).toBeGreaterThan(0);
      expect(await json(exchanges[resourceMetadata]!)).toMatchObject({
        resource: deployment.connector,
        authorization_servers: [deployment.base],
      });
      const serverMetadata = exchanges.findIndex(
        (exchange, index) => index > resourceMetadata && exchange.url.includes('/.well-known/') && exchange.status === 200,
      );
      expect(serverMetadata).toBeGreaterThan(resourceMetadata);
      const metadata = await json(exchanges[serverMetadata]!);
      expect(metadata.issuer).toBe(deployment.base);
      const registration = exchanges.findIndex((exchange) => exchange.url === metadata.registration_endpoint);
      expect(registration).toBeGreaterThan(serverMetadata);
      expect(exchanges[registration]!.status).toBe(201);
      // The v2 client names itself a native application (its redirect is a loopback one), which the server keeps.
      expect(JSON.parse(exchanges[registration]!.requestBody!)).toMatchObject({
        application_type: 'native',
        redirect_uris: [provider.redirectUrl],
      });
      const tokenRequests = () => exchanges.filter((exchange) => exchange.url === metadata.token_endpoint);
      const firstToken = exchanges.indexOf(tokenRequests()[0]!);
      expect(firstToken).toBeGreaterThan(registration);
      expect(exchanges[firstToken]!.status).toBe(200);
      expect(new URLSearchParams(exchanges[firstToken]!.requestBody).get('resource')).toBe(deployment.connector);
      const retried = exchanges[firstToken + 1]!;
      expect(retried).toMatchObject({ method: 'POST', url: deployment.connector, status: 200 });
      expect(retried.requestHeaders.authorization).toMatch(/^Bearer /);

      // What the browser was sent to, and what it brought back: PKCE, the resource, and the issuer (RFC 9207),
      // which the v2 client compared with the metadata's before it redeemed the code.
      const asked = provider.authorizationUrls[0]!;
      expect(asked.href.startsWith(`${metadata.authorization_endpoint}?`)).toBe(true);
      expect(asked.searchParams.get('code_challenge_method')).toBe('S256');
      expect(asked.searchParams.get('resource')).toBe(deployment.connector);
      expect(provider.callbacks[0]!.get('iss')).toBe(metadata.issuer);

      // The conversation itself, on the pinned revision.
      const rpc = recording.rpcTo(deployment.connector);
      const first = rpc[0]!;
      if (protocolVersion === '2025-11-25') {
        // The 2025 handshake: initialize offers exactly the pinned revision, then a session carries the rest.
        expect(first.message).toMatchObject({ method: 'initialize', params: { protocolVersion } });
        expect(connection.sessionId).toBeTruthy();
      } else {
        // Stateless 2026: server/discover first, every request carrying the _meta envelope, no session.
        expect(first.message).toMatchObject({
          method: 'server/discover',
          params: { _meta: { [META.protocolVersion]: protocolVersion, [META.clientInfo]: { name: 'test-client' } } },
        });
        expect(first.exchange.requestHeaders).toMatchObject({ 'mcp-protocol-version': protocolVersion, 'mcp-method': 'server/discover' });
        expect(connection.sessionId).toBeUndefined();
      }

      const names = (await connection.listTools()).map((tool) => tool.name);
      expect(names).toEqual(expect.arrayContaining(['whoami', 'files_list', 'files_read']));
      expect(names).not.toContain('files_write_text');
      const me = (await connection.callTool({ name: 'whoami', arguments: {} })).structuredContent as { userId: string; scopes: string[] };
      expect(me.userId).toBe('alice');
      expect(me.scopes).toContain('files.read');
      expect(me.scopes).not.toContain('files.write');
      const listed = await connection.callTool({ name: 'files_list', arguments: { path: '/Plans' } });
      expect(listed.isError).toBeFalsy();
      expect(JSON.stringify(listed.content)).toContain('Roadmap.md');

      const call = recording.rpcTo(deployment.connector).find(({ message }) => message.method === 'tools/call')!;
      expect(call.exchange.requestHeaders['mcp-protocol-version']).toBe(protocolVersion);
      if (protocolVersion === '2025-11-25') {
        expect(call.exchange.requestHeaders['mcp-session-id']).toBe(connection.sessionId);
        expect(call.message.params!._meta).toBeUndefined();
      } else {
        expect(call.exchange.requestHeaders).toMatchObject({ 'mcp-method': 'tools/call', 'mcp-name': 'whoami' });
        expect(call.exchange.requestHeaders['mcp-session-id']).toBeUndefined();
        expect(call.message.params!._meta).toMatchObject({
          [META.protocolVersion]: protocolVersion,
          [META.clientInfo]: { name: 'test-client' },
          [META.clientCapabilities]: {},
        });
      }

      // Step-up: the write is refused with 403 insufficient_scope and the client goes back to the consent page for
      // the wider scope. Unlike v1 it does not try its refresh token first: a refresh cannot widen a grant.
      provider.setPerson({ user: 'alice', password: 'alice' });
      const session = connection.sessionId;
      const write = {
        name: 'files_write_text',
        arguments: { path: `/Documents/From the v2 client ${protocolVersion}.md`, content: '# Hello\n\nWritten after a step-up.\n' },
      };
      const error = await connection.callTool(write).then(
        () => undefined,
        (failure: unknown) => failure,
      );
      expect(isUnauthorizedError(error)).toBe(true);
      const forbidden = exchanges.find((exchange) => exchange.status === 403)!;
      expect(forbidden.responseHeaders['www-authenticate']).toContain('error="insufficient_scope"');
      expect(provider.consentShown).toBe(2);
      expect(provider.authorizationUrls.at(-1)!.searchParams.get('scope')!.split(' ')).toEqual(
        expect.arrayContaining(['files.read', 'files.write']),
      );
      await connection.finishAuth();
      expect(tokenRequests().map((exchange) => new URLSearchParams(exchange.requestBody).get('grant_type'))).toEqual([
        'authorization_code',
        'authorization_code',
      ]);
      expect(provider.callbacks.at(-1)!.get('iss')).toBe(metadata.issuer);

      const written = await connection.callTool(write);
      expect(written.isError).toBeFalsy();
      expect(connection.sessionId).toBe(session);
      expect((await connection.listTools()).map((tool) => tool.name)).toContain('files_write_text');
      const widened = (await connection.callTool({ name: 'whoami', arguments: {} })).structuredContent as { scopes: string[] };
      expect(widened.scopes).toEqual(expect.arrayContaining(['files.read', 'files.write']));
      const readBack = await connection.callTool({ name: 'files_read', arguments: { path: write.arguments.path } });
      expect(JSON.stringify(readBack.content)).toContain('Written after a step-up.');
      await connection.close();
    }

    it('on 2025-11-25: cold start, tools, and a step-up from files.read to files.write', () => coldStartToolsAndStepUp('2025-11-25'));

    it('on 2026-07-28: cold start, tools, and a step-up from files.read to files.write', () => coldStartToolsAndStepUp('2026-07-28'));
  },
);
