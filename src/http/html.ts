// Pages this app serves through Nextcloud's proxy. They carry their own CSP because the proxy's default
// (default-src 'none') would block our styles, and frame-ancestors 'none' because nothing should frame them.
import type { FastifyReply } from 'fastify';

const CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

export function escapeHtml(value: string): string {
  return value.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;');
}

/** Tagged template that escapes every interpolated value unless it is already Html. */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] ?? '';
  values.forEach((value, index) => {
    const rendered = Array.isArray(value)
      ? value.map((item) => (item instanceof Html ? item.value : escapeHtml(String(item)))).join('')
      : value instanceof Html
        ? value.value
        : escapeHtml(String(value ?? ''));
    out += rendered + (strings[index + 1] ?? '');
  });
  return new Html(out);
}

export function sendPage(reply: FastifyReply, title: string, body: Html, status = 200, head: Html = html``): FastifyReply {
  const page = html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">${head}<title>${title}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f5f5f5;color:#222;margin:0}
main{max-width:42rem;margin:3rem auto;background:#fff;border-radius:12px;padding:2rem;box-shadow:0 1px 4px rgba(0,0,0,.12)}
h1{font-size:1.4rem;margin-top:0;color:#00679e}code{background:#eef3f7;padding:.15rem .35rem;border-radius:4px;word-break:break-all}
td ul{margin:0;padding-left:1rem}ul.scopes{list-style:none;padding:0}ul.scopes li{margin:.5rem 0}ul.scopes code{word-break:normal;white-space:nowrap}.warning{background:#fff4e5;border-left:4px solid #e9a100;padding:.6rem}
button{font:inherit;padding:.55rem 1.2rem;border-radius:20px;border:1px solid #ccc;background:#fff;cursor:pointer}button.primary{background:#00679e;border-color:#00679e;color:#fff}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.4rem;border-bottom:1px solid #eee;vertical-align:top}.small,.hint{font-size:.9rem;color:#555}
</style></head><body><main>${body}</main></body></html>`;
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('content-security-policy', CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .send(page.value);
}
