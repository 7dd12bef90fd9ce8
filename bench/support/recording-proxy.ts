// A pass-through HTTP proxy in front of the simulator that records what the app sends to Nextcloud, so the same
// requests can be replayed straight to the simulator as the baseline of a tool call.
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { close, listen } from '../../tests/support/http-server.js';

export interface RecordedRequest {
  method: string;
  /** Path and query, as sent. */
  path: string;
  headers: Record<string, string>;
  body: Uint8Array<ArrayBuffer>;
  status: number;
  responseBytes: number;
  /** performance.now() when the request arrived and when its response ended. */
  startedAt: number;
  endedAt: number;
}

export interface RecordingProxy {
  /** Give this to the app as NEXTCLOUD_URL. */
  url: string;
  /** Records every request from now until `stop`. */
  start(): void;
  stop(): RecordedRequest[];
  close(): Promise<void>;
}

/** Headers that belong to one connection or one hop, which a replay must set for itself. */
const HOP_HEADERS = new Set(['host', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);

export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const upstream = new URL(target);
  let recording: RecordedRequest[] | null = null;
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((request, response) => {
    const startedAt = performance.now();
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const forwarded = http.request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: request.method,
          path: request.url,
          headers: { ...request.headers, host: upstream.host },
          agent,
        },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
          let responseBytes = 0;
          answer.on('data', (chunk: Buffer) => (responseBytes += chunk.length));
          answer.pipe(response);
          answer.on('end', () => {
            const headers: Record<string, string> = {};
            for (const [name, value] of Object.entries(request.headers)) {
              if (!HOP_HEADERS.has(name) && value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
            }
            recording?.push({
              method: request.method ?? 'GET',
              path: request.url ?? '/',
              headers,
              body: new Uint8Array(body),
              status: answer.statusCode ?? 0,
              responseBytes,
              startedAt,
              endedAt: performance.now(),
            });
          });
        },
      );
      forwarded.on('error', () => request.socket.destroy());
      forwarded.end(body);
    });
  });
  const url = await listen(server);
  return {
    url,
    start() {
      recording = [];
    },
    stop() {
      const recorded = (recording ?? []).sort((a, b) => a.startedAt - b.startedAt);
      recording = null;
      return recorded;
    },
    async close() {
      agent.destroy();
      await close(server);
    },
  };
}

/** `GET /ocs/v2.php/cloud/user` or `PROPFIND (Depth 1) /remote.php/…` label of a request, its query left out. */
export const labelOf = (request: Pick<RecordedRequest, 'method' | 'path' | 'headers'>) =>
  `${request.method}${request.headers.depth !== undefined ? ` (Depth ${request.headers.depth})` : ''} ${decodeURIComponent(request.path.split('?')[0]!)}`;

/**
 * Sends the recorded requests to `target` as the app did: each starts once every request that had ended before it
 * started (in the recording) has ended, so requests the app sent one after another are sent one after another and
 * those it sent together are sent together. Throws when an answer's status differs from the recorded one.
 */
export async function replay(target: string, sequence: readonly RecordedRequest[]): Promise<void> {
  const done: Array<Promise<void>> = [];
  for (const [index, recorded] of sequence.entries()) {
    const before = sequence.slice(0, index).flatMap((earlier, at) => (earlier.endedAt <= recorded.startedAt ? [done[at]!] : []));
    done.push(
      Promise.all(before).then(async () => {
        const response = await fetch(`${target}${recorded.path}`, {
          method: recorded.method,
          headers: recorded.headers,
          body: recorded.body.length > 0 ? recorded.body : undefined,
          redirect: 'manual',
        });
        await response.arrayBuffer();
        if (response.status !== recorded.status)
          throw new Error(`${labelOf(recorded)} answered ${response.status} directly, ${recorded.status} to the app`);
      }),
    );
  }
  await Promise.all(done);
}
