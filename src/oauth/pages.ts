// The pages a person sees during authorization. Navigation away from them (to Nextcloud's login, back to the
// client) is an HTML page with a meta refresh and a visible link, never a 3xx: Nextcloud's PHP proxy would
// follow a redirect itself instead of handing it to the browser.
import type { FastifyReply } from 'fastify';
import type { Html } from '../http/html.js';
import { html, sendPage } from '../http/html.js';
import { SCOPE_WORDING, isScope } from '../core/scopes.js';

export function describeScope(scope: string): string {
  return isScope(scope) ? SCOPE_WORDING[scope].consent : scope;
}

export function navigate(reply: FastifyReply, title: string, target: string, message: Html | string): FastifyReply {
  return sendPage(
    reply.header('x-frame-options', 'DENY'),
    title,
    html`<h1>${title}</h1><p>${message}</p><p><a id="continue" href="${target}">Continue</a></p>`,
    200,
    html`<meta http-equiv="refresh" content="0;url=${target}">`,
  );
}

/** An error a person reads; `link` offers a way on that they choose to follow (never followed by itself). */
export function errorPage(
  reply: FastifyReply,
  status: number,
  title: string,
  message: string,
  link?: { href: string; label: string },
): FastifyReply {
  const onward = link ? html`<p><a id="return" href="${link.href}" rel="noreferrer">${link.label}</a></p>` : '';
  return sendPage(reply.header('x-frame-options', 'DENY'), title, html`<h1>${title}</h1><p id="error">${message}</p>${onward}`, status);
}

export interface ConsentView {
  userDisplayName: string;
  clientName: string;
  redirectHost: string;
  loopback: boolean;
  scopes: string[];
  pendingId: string;
  formToken: string;
  action: string;
  connectionsUrl: string;
  refresh: boolean;
}

export function consentPage(reply: FastifyReply, view: ConsentView): FastifyReply {
  const boxes = view.scopes.map(
    (scope) =>
      html`<li><label><input type="checkbox" name="scope" value="${scope}" checked> ${describeScope(scope)} <code>${scope}</code></label></li>`,
  );
  return sendPage(
    reply.header('x-frame-options', 'DENY'),
    `Connect ${view.clientName}`,
    html`<h1>Connect <span id="client-name">${view.clientName}</span> to your Nextcloud?</h1>
<p>Signed in as <strong id="user">${view.userDisplayName}</strong>.</p>
<p><strong>${view.clientName}</strong> will return to <code id="redirect-host">${view.redirectHost}</code> and act as you, with Nextcloud's permissions and shares applying as they do for you.</p>
${view.loopback ? html`<p class="warning" id="loopback-warning">This app runs on a computer (a local address), not on a known website. Only continue if you started it yourself.</p>` : ''}
<form method="post" action="${view.action}">
<p>It asks to:</p>
<ul class="scopes">${boxes}</ul>
<p class="hint">Untick what you do not want to allow.${view.refresh ? ' It stays connected until you revoke it.' : ''}</p>
<p class="hint" id="data-notice">What ${view.clientName} reads with these permissions (file contents, events, messages) goes to the company that runs it, such as its AI provider.</p>
<input type="hidden" name="pending" value="${view.pendingId}">
<input type="hidden" name="form_token" value="${view.formToken}">
<p class="buttons"><button type="submit" name="decision" value="approve" id="approve" class="primary">Allow</button>
<button type="submit" name="decision" value="deny" id="deny">Deny</button></p>
</form>
<p class="small">You can revoke access at any time under <a href="${view.connectionsUrl}">Connected apps</a>.</p>`,
  );
}
