// "Connected apps": what each signed-in user has authorized, and a Revoke button that ends it at once (the very
// next MCP request of that app is refused, since every request looks its grant up).
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { html, sendPage } from '../http/html.js';
import type { EndpointSource } from '../http/urls.js';
import type { GrantRecord, OAuthStore } from '../store/oauth-store.js';
import type { FormTokens } from './csrf.js';
import { describeScope, navigate } from './pages.js';
import { signedInOnly } from './signed-in.js';

const revokeForm = z.object({ client_id: z.string().min(1).max(2100), form_token: z.string().min(1).max(200) });

export const when = (seconds: number | null) =>
  seconds === null ? 'never' : new Date(seconds * 1000).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';

interface Connection {
  userId: string;
  clientId: string;
  clientName: string;
  redirectHost: string;
  scopes: string[];
  authorizedAt: number;
  lastUsedAt: number | null;
}

/** Grants of one user for one client are one connection: the union of their scopes, the first consent, the latest use. */
export function groupConnections(grants: GrantRecord[]): Connection[] {
  const byClient = new Map<string, Connection>();
  for (const grant of grants) {
    const key = JSON.stringify([grant.userId, grant.clientId]);
    const known = byClient.get(key);
    if (!known) {
      byClient.set(key, {
        userId: grant.userId,
        clientId: grant.clientId,
        clientName: grant.clientName,
        redirectHost: new URL(grant.redirectUri).host,
        scopes: [...grant.scopes],
        authorizedAt: grant.createdAt,
        lastUsedAt: grant.lastUsedAt,
      });
      continue;
    }
    known.scopes = [...new Set([...known.scopes, ...grant.scopes])];
    known.authorizedAt = Math.min(known.authorizedAt, grant.createdAt);
    known.lastUsedAt = Math.max(known.lastUsedAt ?? 0, grant.lastUsedAt ?? 0) || null;
  }
  return [...byClient.values()];
}

export async function connectionRoutes(
  app: FastifyInstance,
  { store, forms, endpoints }: { store: OAuthStore; forms: FormTokens; endpoints: EndpointSource },
): Promise<void> {
  const render = async (reply: FastifyReply, userId: string, notice = '') => {
    const { urls } = await endpoints.current(reply.request);
    const connections = groupConnections(store.activeGrants(userId));
    const rows = connections.map(
      (connection) => html`<tr class="connection" data-client="${connection.clientId}">
<td><strong>${connection.clientName}</strong><br><span class="small">returns to ${connection.redirectHost}</span></td>
<td><ul class="small">${connection.scopes.map((scope) => html`<li>${describeScope(scope)}</li>`)}</ul></td>
<td class="small">authorized ${when(connection.authorizedAt)}<br>last used ${when(connection.lastUsedAt)}</td>
<td><form method="post" action="${urls.connections}/revoke"><input type="hidden" name="client_id" value="${connection.clientId}">
<input type="hidden" name="form_token" value="${forms.sign('revoke', connection.clientId, userId)}"><button type="submit" class="revoke">Revoke</button></form></td></tr>`,
    );
    return sendPage(
      reply.header('x-frame-options', 'DENY'),
      'Connected apps',
      html`<h1>Connected apps</h1>
${notice ? html`<p id="notice">${notice}</p>` : ''}
<p>Apps that can use your Nextcloud on your behalf through MCP Gateway (signed in as <strong>${userId}</strong>).</p>
${connections.length === 0 ? html`<p id="empty">No app is connected.</p>` : html`<table><thead><tr><th>App</th><th>May</th><th>Activity</th><th></th></tr></thead><tbody>${rows}</tbody></table>`}`,
    );
  };

  /** A PUBLIC route (a USER one would show a logged-out person a 404): whoever is not signed in goes to the login. */
  const toLogin = async (reply: FastifyReply) => {
    const { urls } = await endpoints.current(reply.request);
    return navigate(reply, 'Sign in to Nextcloud', urls.loginUrl(urls.connections), 'Sign in to Nextcloud to see the apps you connected.');
  };

  app.addHook(
    'preHandler',
    signedInOnly((_request, reply) => toLogin(reply)),
  );

  app.get('/connections', async (request, reply) => render(reply, request.appApi.userId));

  app.post('/connections/revoke', async (request, reply) => {
    const userId = request.appApi.userId;
    const form = revokeForm.safeParse(request.body);
    if (!form.success || !forms.verify(form.data.form_token, 'revoke', form.data.client_id, userId)) {
      request.log.warn({ user: userId }, 'revocation refused: form token does not match');
      return render(reply.code(403), userId, 'That revocation was not accepted (the form was not issued to you). Nothing changed.');
    }
    const count = store.revokeClientGrants(userId, form.data.client_id, 'revoked by the user');
    request.log.info({ user: userId, client: form.data.client_id, grants: count }, 'user revoked a connected app');
    return render(reply, userId, count > 0 ? 'Access revoked. The app can no longer act for you.' : 'That app was not connected.');
  });
}
