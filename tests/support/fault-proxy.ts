// A misbehaving network between the app and Nextcloud, for fault-injection tests: it passes requests through to
// the simulator, or, for the requests a test picks, refuses them, stalls them, or answers them badly.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { close, listen } from './http-server.js';

export type FaultMode =
  /** Forward unchanged. */
  | 'pass'
  /** Reset the connection without answering (what a crashed or restarting server looks like). */
  | 'refuse'
  /** Accept the request and never answer (a blackholed or hung server). */
  | 'stall'
  /** 200 with an HTML page, as a login page, a captive portal or a misrouted proxy answers. */
  | 'html'
  /** Nextcloud's status and content type, with random bytes for a body. */
  | 'garbage'
  /** Nextcloud's real answer, cut in the middle (the HTTP message itself ends cleanly). */
  | 'truncate';

export const FAULT_MODES: readonly FaultMode[] = ['refuse', 'stall', 'html', 'garbage', 'truncate'];

export interface FaultProxy {
  /** Give this to the client as Nextcloud's URL. */
  url: string;
  readonly mode: FaultMode;
  /** Applies `mode` to the requests `match` selects (default: all); every other request passes. */
  set(mode: FaultMode, match?: (method: string, path: string) => boolean): void;
  /**
   * Requests that reached the proxy, by the mode applied to them. `arrived` and (for a stalled request the client
   * gave up on) `givenUp` are steps of one counter, so they tell what came first without a clock: a request that
   * arrived after a stalled one was given up was sent after the client's wait for that one had ended.
   */
  readonly seen: Array<{ method: string; path: string; mode: FaultMode; arrived: number; givenUp?: number }>;
  close(): Promise<void>;
}

const HTML_PAGE = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in</title></head>
<body><h1>Please sign in</h1><form method="post"><input name="user"><br><input type="password" name="password"><button>Log in</button></form></body></html>`;

/** Headers that describe the body or the connection, which a rewritten body must not carry over. */
const BODY_HEADERS = new Set(['content-length', 'transfer-encoding', 'content-encoding', 'connection', 'keep-alive']);

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  let mode: FaultMode = 'pass';
  let match: (method: string, path: string) => boolean = () => true;
  const seen: FaultProxy['seen'] = [];
  let step = 0;
  /** When a fresh connection was opened, for the request it was opened for. */
  const openedAt = new WeakMap<object, number>();

  const server = http.createServer((request, response) => {
    const method = request.method ?? 'GET';
    const path = (request.url ?? '/').split('?')[0]!;
    const applied = mode !== 'pass' && match(method, path) ? mode : 'pass';
    // A request on a fresh connection counts from the connect, which the proxy learns of in the order things
    // happened; its bytes may be read only after events that came later (a hang-up on another connection).
    const arrived = openedAt.get(request.socket) ?? ++step;
    openedAt.delete(request.socket);
    const entry: FaultProxy['seen'][number] = { method, path, mode: applied, arrived };
    seen.push(entry);
    if (applied === 'refuse') {
      request.socket.destroy();
      return;
    }
    if (applied === 'stall') {
      // Reads the body so the client is not blocked sending it, then leaves the request unanswered.
      request.resume();
      response.on('close', () => (entry.givenUp = ++step));
      return;
    }
    if (applied === 'html') {
      request.resume();
      response.writeHead(200, { 'content-type': 'text/html; charset=UTF-8' });
      response.end(HTML_PAGE);
      return;
    }
    const forwarded = http.request(
      { host: upstream.hostname, port: upstream.port, method, path: request.url, headers: request.headers },
      (answer) => {
        const status = answer.statusCode ?? 502;
        if (applied === 'pass') {
          response.writeHead(status, answer.headers);
          answer.pipe(response);
          return;
        }
        const headers = Object.fromEntries(Object.entries(answer.headers).filter(([name]) => !BODY_HEADERS.has(name)));
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          const body = Buffer.concat(chunks);
          response.writeHead(status, headers);
          response.end(applied === 'garbage' ? randomBytes(Math.max(64, body.length)) : body.subarray(0, Math.floor(body.length / 2)));
        });
      },
    );
    forwarded.on('error', () => request.socket.destroy());
    request.pipe(forwarded);
  });
  server.on('connection', (socket) => openedAt.set(socket, ++step));
  const url = await listen(server);
  return {
    url,
    get mode() {
      return mode;
    },
    set(next, which = () => true) {
      mode = next;
      match = which;
    },
    seen,
    close: () => close(server),
  };
}
