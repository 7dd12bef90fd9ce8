import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import type { IncomingMessage } from 'node:http';
import { loggerOptions, redactUrl, requestIdOf } from '../../../src/http/logging.js';

describe('log redaction', () => {
  it('redacts one-time secrets in query strings and keeps the rest readable', () => {
    expect(redactUrl('/oauth/authorize?client_id=abc&code=s3cr3t&state=xyz&scope=files.read')).toBe(
      '/oauth/authorize?client_id=abc&code=%5Bredacted%5D&state=%5Bredacted%5D&scope=files.read',
    );
    expect(redactUrl('/mcp')).toBe('/mcp');
    expect(redactUrl('/x?Access_Token=t')).toBe('/x?Access_Token=%5Bredacted%5D');
  });

  it('writes no header secrets or query tokens into request logs, even at trace level', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _encoding, callback) {
        lines.push(String(chunk));
        callback();
      },
    });
    const options = loggerOptions('trace') as Record<string, unknown>;
    const app = Fastify({ logger: { ...options, stream } });
    app.get('/x', async (request) => {
      request.log.info({ headers: request.headers }, 'handler saw headers');
      return 'ok';
    });
    await app.inject({
      url: '/x?refresh_token=rt-secret&code=code-secret',
      headers: {
        authorization: 'Bearer at-secret',
        'authorization-app-api': 'YWxpY2U6YXBwLXNlY3JldA==',
        cookie: 'oc_sessionPassphrase=pp-secret',
      },
    });
    await app.close();
    const log = lines.join('');
    expect(log).toContain('incoming request');
    for (const secret of ['rt-secret', 'code-secret', 'at-secret', 'YWxpY2U6YXBwLXNlY3JldA==', 'pp-secret'])
      expect(log).not.toContain(secret);
  });

  it("takes Nextcloud's request id for the log, the proxy's own when a client sent one too, and never a client's junk", () => {
    const idOf = (header?: string | string[]) =>
      requestIdOf({ headers: header === undefined ? {} : { 'aa-request-id': header } } as IncomingMessage);
    expect(idOf('f3Kd9ZqP0aB7xYw2LmN4')).toBe('f3Kd9ZqP0aB7xYw2LmN4');
    expect(idOf('CLI')).toBe('CLI');
    expect(idOf('forged-by-client, f3Kd9ZqP0aB7xYw2LmN4')).toBe('f3Kd9ZqP0aB7xYw2LmN4');
    for (const junk of [undefined, '', 'two words', 'x'.repeat(65), 'line\nbreak', '<script>']) {
      const id = idOf(junk);
      expect(id, String(junk)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    }
  });
});
