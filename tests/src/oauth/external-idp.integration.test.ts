// The second mode: an organisation's own OpenID provider issues the access tokens (here a real oidc-provider,
// standing in for Nextcloud's oidc app or Keycloak), and the app accepts them on /mcp for the user they name.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Deployment, ProxyKind } from '../../support/deployment.js';
import { deploy } from '../../support/deployment.js';
import type { TestIdp } from '../../support/oidc-provider.js';
import { startTestIdp } from '../../support/oidc-provider.js';

let d: Deployment;
let idp: TestIdp;
let untrusted: TestIdp;
const OTHER_API = 'https://api.example.test/';

describe.each<ProxyKind>(['php', 'harp'])('through the %s proxy', (kind) => {
  beforeAll(async () => {
    d = await deploy(kind, {
      env: async (sim) => {
        const connector = kind === 'php' ? `${sim.url}/index.php/apps/app_api/proxy/mcp_gateway/mcp` : `${sim.url}/exapps/mcp_gateway/mcp`;
        idp = await startTestIdp({
          resources: { [connector]: { format: 'jwt', scope: 'files.read nextcloud' }, [OTHER_API]: { format: 'jwt', scope: 'files.read' } },
          accounts: { alice: { preferred_username: 'alice' }, 'u-2002': { preferred_username: 'bob' } },
        });
        untrusted = await startTestIdp({
          resources: { [connector]: { format: 'jwt', scope: 'files.read' } },
          accounts: { alice: { preferred_username: 'alice' } },
        });
        return {
          MCP_GATEWAY_POLICY_TTL_SECONDS: '0',
          MCP_GATEWAY_TRUSTED_ISSUERS: JSON.stringify([
            { issuer: idp.issuer, userClaim: 'preferred_username', scopeMap: { nextcloud: ['calendar.read', 'talk.read'] } },
          ]),
        };
      },
    });
  });
  afterAll(async () => {
    await d?.stop();
    await idp?.close();
    await untrusted?.close();
  });

  async function callWhoami(accessToken: string) {
    const client = new Client({ name: 'external-idp-test', version: '1' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(d.connector), { requestInit: { headers: { authorization: `Bearer ${accessToken}` } } }),
    );
    try {
      return (await client.callTool({ name: 'whoami', arguments: {} })).structuredContent as {
        userId: string;
        scopes: string[];
        clientId: string;
      };
    } finally {
      await client.close();
    }
  }

  async function status(accessToken: string): Promise<{ status: number; challenge: string | null }> {
    const response = await fetch(d.connector, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${accessToken}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
      }),
    });
    return { status: response.status, challenge: response.headers.get('www-authenticate') };
  }

  describe('tokens of a trusted external OpenID provider', () => {
    it('lists the provider in the protected resource metadata, before the built-in server', async () => {
      const prm = (await (await fetch(`${d.base}/.well-known/oauth-protected-resource/mcp`)).json()) as { authorization_servers: string[] };
      expect(prm.authorization_servers).toEqual([idp.issuer, d.base]);
    });

    it("accepts alice's token and acts as alice, with the provider's scopes mapped to ours", async () => {
      const { access_token: token } = await idp.login('alice', { resource: d.connector, scope: 'files.read nextcloud' });
      const me = await callWhoami(token);
      expect(me.userId).toBe('alice');
      expect(me.scopes).toEqual(expect.arrayContaining(['files.read', 'calendar.read', 'talk.read']));
      expect(me.scopes).not.toContain('files.write');
    });

    it('maps the configured claim, not the subject, to the Nextcloud user', async () => {
      const { access_token: token } = await idp.login('u-2002', { resource: d.connector, scope: 'files.read' });
      expect((await callWhoami(token)).userId).toBe('bob');
    });

    it('refuses a token of the same provider for another audience, and one of an untrusted provider', async () => {
      const otherAudience = await status((await idp.login('alice', { resource: OTHER_API, scope: 'files.read' })).access_token);
      expect(otherAudience.status).toBe(401);
      expect(otherAudience.challenge).toContain('error="invalid_token"');
      const otherIssuer = await status((await untrusted.login('alice', { resource: d.connector, scope: 'files.read' })).access_token);
      expect(otherIssuer.status).toBe(401);
      expect(otherIssuer.challenge).toContain('error="invalid_token"');
    });

    it('still refuses a disabled user, whoever issued the token', async () => {
      const { access_token: token } = await idp.login('alice', { resource: d.connector, scope: 'files.read' });
      d.sim.setUserEnabled('alice', false);
      try {
        expect((await status(token)).status).toBe(401);
      } finally {
        d.sim.setUserEnabled('alice', true);
      }
    });
  });
});
