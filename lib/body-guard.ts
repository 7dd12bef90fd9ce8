// A download handed out as it arrives, with the guards Nextcloud's answers need: an idle timeout that blames only
// Nextcloud, a byte window cut out of a whole file, and a check that the body holds the bytes it announced.
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { isNextcloudError } from './errors.js';

export function toNodeStream(body: unknown): Readable {
  if (!body) return Readable.from([]);
  if (body instanceof Readable) return body;
  if (typeof (body as { getReader?: unknown }).getReader === 'function') return Readable.fromWeb(body as WebReadableStream);
  return Readable.from(body as AsyncIterable<Uint8Array>);
}

export interface GuardOptions {
  /** Longest wait for the next chunk while the reader wants data. */
  idleMs: number;
  /** Bytes to drop from the start, and how many to deliver after that (null: all). */
  skip: number;
  take: number | null;
  /** Bytes the answer says it holds (Content-Length, or the span of Content-Range), when it says. */
  expected?: number | null;
  /** The error for a body that holds fewer or more bytes than announced (cut by a proxy, or not the file at all). */
  onMismatch?(received: number, expected: number): Error;
  /** Cancels the underlying request (end of window reached, reader gave up, stall). */
  abort(): void;
  onIdle(): Error;
  onError(error: Error): Error;
}

/**
 * Passes a download through with back-pressure, and ends it with an error when Nextcloud stalls. The idle
 * timer runs only while the reader is asking for data, so a slow reader is never blamed on Nextcloud.
 */
export function guardBody(source: Readable, options: GuardOptions): Readable {
  let timer: NodeJS.Timeout | undefined;
  let skip = options.skip;
  let remaining = options.take;
  let received = 0;
  let finished = false;
  const mismatch = (count: number, expected: number) =>
    options.onMismatch?.(count, expected) ??
    options.onError(new Error(`the answer held ${count > expected ? 'at least ' : 'only '}${count} bytes where it announced ${expected}`));
  const disarm = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
  };
  const arm = () => {
    if (timer || finished) return;
    timer = setTimeout(() => out.destroy(options.onIdle()), options.idleMs);
  };
  const finish = () => {
    finished = true;
    disarm();
  };
  const out = new Readable({
    read() {
      arm();
      source.resume();
    },
    destroy(error, callback) {
      const early = !finished;
      finish();
      source.destroy();
      if (early || error) options.abort();
      callback(error);
    },
  });
  source.pause();
  source.on('data', (chunk: Buffer | Uint8Array | string) => {
    if (finished) return;
    disarm();
    let piece = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    received += piece.length;
    if (options.expected !== undefined && options.expected !== null && received > options.expected) {
      out.destroy(mismatch(received, options.expected));
      return;
    }
    if (skip > 0) {
      const dropped = Math.min(skip, piece.length);
      piece = piece.subarray(dropped);
      skip -= dropped;
    }
    if (remaining !== null && piece.length >= remaining) {
      piece = piece.subarray(0, remaining);
      remaining = 0;
    } else if (remaining !== null) {
      remaining -= piece.length;
    }
    const room = piece.length === 0 ? true : out.push(piece);
    if (remaining === 0) {
      // The window is complete: stop the download instead of draining the rest of the file.
      finish();
      out.push(null);
      source.destroy();
      options.abort();
      return;
    }
    if (!room) source.pause();
    else if (piece.length === 0) arm();
  });
  source.once('end', () => {
    if (finished) return;
    // An answer that ends cleanly but short (a proxy that cut it) is not the file: never a shorter text.
    if (options.expected !== undefined && options.expected !== null && received < options.expected) {
      out.destroy(mismatch(received, options.expected));
      return;
    }
    finish();
    out.push(null);
  });
  source.on('error', (error: Error) => {
    if (finished) return;
    out.destroy(isNextcloudError(error) ? error : options.onError(error));
  });
  return out;
}
