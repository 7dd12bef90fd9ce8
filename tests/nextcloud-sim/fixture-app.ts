// A purpose-built ExApp for the simulator's own tests: answers AppAPI's lifecycle calls (/heartbeat, /init -> 404
// so AppAPI completes the init itself, /enabled) and echoes every other request; it records what it received.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface FixtureApp {
  port: number;
  received: Received[];
  /** Requests received on a path (without query). */
  on(path: string): Received[];
  close(): Promise<void>;
}

export type Echo = { method: string; url: string; headers: Record<string, string>; body: string };

/** `enabledAnswer` is the body the app answers PUT /enabled with (default {"error":""}). */
export async function startFixtureApp(options: { enabledAnswer?: string } = {}): Promise<FixtureApp> {
  const received: Received[] = [];
  const server = http.createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const entry = {
      method: request.method ?? '',
      url: request.url ?? '/',
      headers: request.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    };
    received.push(entry);
    const path = entry.url.split('?')[0];
    if (path === '/heartbeat') return response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    if (path === '/init') return response.writeHead(404).end();
    if (path === '/enabled')
      return response.writeHead(200, { 'content-type': 'application/json' }).end(options.enabledAnswer ?? '{"error":""}');
    response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
    response.end(JSON.stringify(entry));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    received,
    on: (path) => received.filter((entry) => entry.url.split('?')[0] === path),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The user part of AUTHORIZATION-APP-API as the ExApp receives it. */
export function appApiUser(headers: Record<string, string | string[] | undefined>): string {
  return Buffer.from(String(headers['authorization-app-api'] ?? ''), 'base64')
    .toString('utf8')
    .split(':')[0]!;
}
