// The admin's view of every active connection (user, app, scopes, last use) with a Revoke button per row.
// An ADMIN route: the proxy admits only Nextcloud admins, and the app checks the admin group again.
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { Nextcloud } from '../../lib/index.js';
import { html, sendPage } from '../http/html.js';
import type { EndpointSource } from '../http/urls.js';
import { groupConnections, when } from '../oauth/connections.js';
import type { FormTokens } from '../oauth/csrf.js';
import type { OAuthStore } from '../store/oauth-store.js';
import { adminOnly } from './admin-only.js';

const revokeForm = z.object({
  user_id: z.string().min(1).max(255),
  client_id: z.string().min(1).max(2100),
  form_token: z.string().min(1).max(200),
});

export interface AdminConnectionDeps {
  nextcloud: Nextcloud;
  store: OAuthStore;
  forms: FormTokens;
  endpoints: EndpointSource;
}

export async function adminConnectionRoutes(
  app: FastifyInstance,
  { nextcloud, store, forms, endpoints }: AdminConnectionDeps,
): Promise<void> {
  await app.register(adminOnly, { nextcloud });

  const render = async (reply: FastifyReply, notice = '') => {
    const { adminId } = reply.request;
    const { urls, policy } = await endpoints.current(reply.request);
    const connections = groupConnections(store.allActiveGrants());
    const rows = connections.map(
      (connection) => html`<tr class="connection" data-user="${connection.userId}" data-client="${connection.clientId}">
<td><strong>${connection.userId}</strong></td>
<td>${connection.clientName}<br><span class="small">returns to ${connection.redirectHost}</span></td>
<td class="small">${connection.scopes.join(', ')}</td>
<td class="small">authorized ${when(connection.authorizedAt)}<br>last used ${when(connection.lastUsedAt)}</td>
<td><form method="post" action="${urls.base}/admin/connections/revoke"><input type="hidden" name="user_id" value="${connection.userId}">
<input type="hidden" name="client_id" value="${connection.clientId}"><input type="hidden" name="form_token" value="${forms.sign('admin-revoke', connection.userId, connection.clientId, adminId)}">
<button type="submit" class="revoke">Revoke</button></form></td></tr>`,
    );
    return sendPage(
      reply.header('x-frame-options', 'DENY'),
      'MCP Gateway: active connections',
      html`<h1>Active connections</h1>
${notice ? html`<p id="notice">${notice}</p>` : ''}
<p>Every app that may act for a user of this Nextcloud through MCP Gateway. Revoking ends the app's access at its next request.</p>
<p class="small">Connector URL: <code>${urls.connector}</code>. Scopes in force: ${policy.enabledScopes.join(', ') || 'none'}${policy.readOnly ? ' (read-only mode)' : ''}.</p>
${connections.length === 0 ? html`<p id="empty">No app is connected.</p>` : html`<table><thead><tr><th>User</th><th>App</th><th>Scopes</th><th>Activity</th><th></th></tr></thead><tbody>${rows}</tbody></table>`}`,
    );
  };

  app.get('/admin/connections', async (_request, reply) => render(reply));

  app.post('/admin/connections/revoke', async (request, reply) => {
    const { adminId } = request;
    const form = revokeForm.safeParse(request.body);
    if (!form.success || !forms.verify(form.data.form_token, 'admin-revoke', form.data.user_id, form.data.client_id, adminId)) {
      request.log.warn({ admin: adminId }, 'admin revocation refused: form token does not match');
      return render(reply.code(403), 'That revocation was not accepted (the form was not issued to you). Nothing changed.');
    }
    const count = store.revokeClientGrants(form.data.user_id, form.data.client_id, `revoked by the administrator ${adminId}`);
    request.log.info({ admin: adminId, user: form.data.user_id, client: form.data.client_id, grants: count }, 'admin revoked a connection');
    return render(reply, count > 0 ? `Revoked: ${form.data.user_id} can no longer use that app.` : 'That connection was already gone.');
  });
}
