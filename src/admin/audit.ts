// The audit log for admins: a page at /admin/audit and the same entries as JSON at /admin/api/v1/audit, both
// filtered by user, client, tool, outcome and time, newest first, paged with `before`.
import type { FastifyInstance } from 'fastify';
import type { Nextcloud } from '../../lib/index.js';
import { html, sendPage } from '../http/html.js';
import type { EndpointSource } from '../http/urls.js';
import { issuesText } from '../../lib/zod-issues.js';
import type { AuditStore } from '../store/audit.js';
import { auditQuerySchema } from '../store/audit.js';
import { adminOnly } from './admin-only.js';

export async function auditRoutes(
  app: FastifyInstance,
  { nextcloud, endpoints, audit }: { nextcloud: Nextcloud; endpoints: EndpointSource; audit: AuditStore },
): Promise<void> {
  await app.register(adminOnly, { nextcloud });

  app.get('/admin/api/v1/audit', async (request, reply) => {
    const query = auditQuerySchema.safeParse(request.query);
    if (!query.success)
      return reply.code(400).send({ error: 'invalid_request', message: `Invalid filter: ${issuesText(query.error.issues)}.` });
    const entries = audit.query(query.data);
    const last = entries.at(-1);
    return {
      entries: entries.map((entry) => ({ ...entry, at: new Date(entry.at).toISOString() })),
      nextBefore: entries.length === query.data.limit && last ? last.id : null,
    };
  });

  app.get('/admin/audit', async (request, reply) => {
    const { urls } = await endpoints.current(request);
    const query = auditQuerySchema.safeParse(request.query);
    const filters = query.success ? query.data : auditQuerySchema.parse({});
    const entries = audit.query(filters);
    const rows = entries.map(
      (entry) => html`<tr class="entry outcome-${entry.outcome}">
<td class="small">${new Date(entry.at).toISOString().replace('T', ' ').slice(0, 19)} UTC</td><td>${entry.userId}</td><td class="small">${entry.clientId}</td>
<td><code>${entry.tool}</code></td><td class="small">${entry.target ?? ''}</td><td>${entry.outcome}${entry.errorCode ? html` <span class="small">(${entry.errorCode})</span>` : ''}</td>
<td class="small">${entry.durationMs} ms</td></tr>`,
    );
    const value = (name: 'user' | 'tool') => (query.success ? (query.data[name] ?? '') : '');
    return sendPage(
      reply.header('x-frame-options', 'DENY'),
      'MCP Gateway: audit log',
      html`<h1>Audit log</h1>
${query.success ? '' : html`<p id="notice">Invalid filter: ${issuesText(query.error.issues)}. Showing the newest entries.</p>`}
<p>Every tool call made through MCP Gateway: who, through which app, which tool, on what, and how it ended. Content is never recorded.</p>
<form method="get" action="${urls.base}/admin/audit"><label>User <input name="user" value="${value('user')}"></label>
<label>Tool <input name="tool" value="${value('tool')}"></label> <button type="submit">Filter</button></form>
${entries.length === 0 ? html`<p id="empty">No tool calls recorded.</p>` : html`<table><thead><tr><th>Time</th><th>User</th><th>App</th><th>Tool</th><th>Target</th><th>Outcome</th><th>Took</th></tr></thead><tbody>${rows}</tbody></table>`}`,
    );
  });
}
