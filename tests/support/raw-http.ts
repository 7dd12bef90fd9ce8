// HTTP written byte by byte on a plain TCP socket, for what fetch and inject will not send: a body shorter than its
// Content-Length, headers that never end, malformed request lines, raw bytes in header values.
import net from 'node:net';

export interface RawExchange {
  /** Everything the server sent, as latin1 (byte for byte). */
  received: string;
  /** Milliseconds from connecting until the server closed the connection, or null if it was still open at `waitMs`. */
  closedAfterMs: number | null;
  /** The status code of the first final (not 1xx) response, if one arrived. */
  status: number | null;
  /** The status codes of every response that arrived (pipelined requests get several), 1xx included. */
  statuses: number[];
}

/**
 * Connects, writes `data` (all of it at once), and waits until the server closes the connection or `waitMs` pass,
 * whichever comes first; with `quietMs`, also until the server has sent something and then stayed silent that long
 * (an answer on a connection kept alive). A socket error counts as the server closing it.
 */
export function rawExchange(
  target: { port: number; host?: string },
  data: string | Buffer,
  waitMs: number,
  quietMs?: number,
): Promise<RawExchange> {
  return new Promise((resolve) => {
    const started = Date.now();
    const chunks: Buffer[] = [];
    let settled = false;
    const socket = net.connect(target.port, target.host ?? '127.0.0.1', () => socket.write(data));
    const finish = (closedAfterMs: number | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(quiet);
      socket.destroy();
      const received = Buffer.concat(chunks).toString('latin1');
      const statuses = [...received.matchAll(/(?:^|\r\n)HTTP\/1\.[01] (\d{3}) /g)].map((match) => Number(match[1]));
      resolve({ received, closedAfterMs, status: statuses.find((status) => status >= 200) ?? null, statuses });
    };
    const timer = setTimeout(() => finish(null), waitMs);
    let quiet: NodeJS.Timeout | undefined;
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (quietMs === undefined) return;
      clearTimeout(quiet);
      quiet = setTimeout(() => finish(null), quietMs);
    });
    socket.on('close', () => finish(Date.now() - started));
    socket.on('error', () => finish(Date.now() - started));
  });
}

/** A request head with CRLF line ends; `headers` are written as given (names, order, duplicates and bytes kept). */
export function requestHead(method: string, target: string, headers: Array<[string, string]>): string {
  return `${method} ${target} HTTP/1.1\r\n${headers.map(([name, value]) => `${name}: ${value}\r\n`).join('')}\r\n`;
}
