// The 403 step-up answer the tools rely on: which scopes it names and how it says so.
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import type { McpIdentity } from '../../../src/oauth/bearer.js';
import { requireScopes } from '../../../src/oauth/bearer.js';
import { entranceBases, publicEndpoints } from '../../../src/http/urls.js';

const base = 'https://cloud.example.com/index.php/apps/app_api/proxy/mcp_gateway';
const urls = publicEndpoints(entranceBases(base, [], 'mcp_gateway', false), 'php', 'mcp_gateway');
const identity: McpIdentity = {
  userId: 'alice',
  clientId: 'c1',
  scopes: ['files.read', 'talk.read'],
  grantId: 'g1',
  issuer: base,
  expiresAt: 0,
};

async function answer(needed: Parameters<typeof requireScopes>[3]) {
  const app = Fastify();
  let allowed: boolean | undefined;
  app.get('/', async (_request, reply) => {
    allowed = requireScopes(urls, 'mcp', identity, needed, reply);
    return allowed ? reply.send({ ok: true }) : reply;
  });
  const response = await app.inject({ method: 'GET', url: '/' });
  await app.close();
  return { allowed, response };
}

describe('requireScopes', () => {
  it('lets a call through when the grant holds every scope it needs', async () => {
    const { allowed, response } = await answer(['files.read']);
    expect(allowed).toBe(true);
    expect(response.statusCode).toBe(200);
  });

  it('answers 403 insufficient_scope naming all scopes needed, granted ones included, for step-up', async () => {
    const { allowed, response } = await answer(['files.write']);
    expect(allowed).toBe(false);
    expect(response.statusCode).toBe(403);
    const challenge = response.headers['www-authenticate'] as string;
    expect(challenge).toContain('error="insufficient_scope"');
    expect(challenge).toContain('scope="files.read files.write talk.read"');
    expect(challenge).toContain(`resource_metadata="${base}/.well-known/oauth-protected-resource/mcp"`);
    expect(response.json()).toMatchObject({ error: 'insufficient_scope' });
  });
});
