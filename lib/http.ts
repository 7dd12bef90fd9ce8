// One place that talks HTTP to Nextcloud: AppAPI headers for the acting user, a timeout on every call, and
// every non-success answer turned into a NextcloudError.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { NextcloudErrorCode } from './errors.js';
import { NextcloudError, codeForStatus, explain } from './errors.js';

export interface NextcloudClientOptions {
  /** NEXTCLOUD_URL, without a trailing slash. */
  baseUrl: string;
  appId: string;
  appVersion: string;
  appSecret: string;
  /** Sent as AA-VERSION; informational for Nextcloud. */
  aaVersion?: string;
  /** Applies to every call unless a call sets its own. Default 30 s. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  headers?: Record<string, string>;
  body?: BodyInit;
  timeoutMs?: number;
  /** Statuses that are answers, not errors (2xx are always answers). */
  accept?: number[];
  /** Ends the request early when it fires (a caller giving up); that abort is passed on as it is. */
  signal?: AbortSignal;
  /**
   * The timeout covers waiting for the answer only, not reading its body: for downloads of any size, whose reader
   * guards the body with an idle timeout of its own (guardBody), so a long read that keeps moving is not cut off.
   */
  headersOnly?: boolean;
}

/** One unit of work (e.g. one incoming request), by when it began. */
const units = new AsyncLocalStorage<{ startedAt: number }>();

/**
 * Runs `work` as one unit: once a call to Nextcloud got no answer in time after the unit began, the unit's later
 * calls fail at once instead of each waiting out another full timeout, until Nextcloud answers anything again.
 * Calls outside any unit always go out.
 */
export function withSingleTimeout<T>(work: () => T): T {
  return units.run({ startedAt: performance.now() }, work);
}

/** What the clients of one Nextcloud have learned about reaching it, shared by every user's client. */
export class Reachability {
  private lastTimeout: { at: number; ms: number } | null = null;
  private lastAnswerAt = 0;

  answered(): void {
    this.lastAnswerAt = performance.now();
  }

  timedOut(ms: number): void {
    this.lastTimeout = { at: performance.now(), ms };
  }

  /** Refuses to send when this unit already waited for Nextcloud in vain and nothing has answered since. */
  check(method: string, path: string): void {
    const unit = units.getStore();
    const last = this.lastTimeout;
    if (!unit || !last || last.at < unit.startedAt || this.lastAnswerAt >= last.at) return;
    // Which request timed out is left unsaid: it may have been another user's.
    throw new NextcloudError({
      code: 'unavailable',
      method,
      path,
      message: `Nextcloud is not answering: a request got no answer within ${last.ms} ms a moment ago, so ${method} ${humanPath(path)} was not sent. Try again shortly.`,
    });
  }
}

export interface HttpClient {
  readonly baseUrl: string;
  readonly userId: string;
  /** Shared with the other clients of the same Nextcloud; for work that spans several requests (CalDAV discovery). */
  readonly reachability: Reachability;
  /** Headers that authenticate as this user; for libraries that make their own requests. */
  authHeaders(): Record<string, string>;
  /** A fetch that adds the timeout and maps network failures, for libraries that take a fetch function. */
  fetch: typeof fetch;
  request(method: string, path: string, options?: RequestOptions): Promise<Response>;
}

const DEFAULT_TIMEOUT_MS = 30_000;

export function createHttpClient(options: NextcloudClientOptions, userId: string, reachability = new Reachability()): HttpClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const defaultTimeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const authHeaders = (): Record<string, string> => ({
    'EX-APP-ID': options.appId,
    'EX-APP-VERSION': options.appVersion,
    'AUTHORIZATION-APP-API': Buffer.from(`${userId}:${options.appSecret}`).toString('base64'),
    'AA-VERSION': options.aaVersion || '32.0.0',
    'OCS-APIRequest': 'true',
  });

  const timedFetch = async (
    input: string | URL | Request,
    options: RequestInit & { timeoutMs?: number; headersOnly?: boolean } = {},
  ): Promise<Response> => {
    const { timeoutMs = defaultTimeout, headersOnly = false, ...init } = options;
    // Not AbortSignal.timeout: its timer lives on for the whole timeout after the answer has been read.
    const timeout = new AbortController();
    const timer = setTimeout(
      () => timeout.abort(new DOMException(`Nextcloud did not answer within ${timeoutMs} ms`, 'TimeoutError')),
      timeoutMs,
    );
    timer.unref();
    const signal = init.signal ? AbortSignal.any([init.signal, timeout.signal]) : timeout.signal;
    const method = (init.method ?? 'GET').toUpperCase();
    const path = new URL(String(input instanceof Request ? input.url : input)).pathname;
    reachability.check(method, path);
    try {
      const response = await fetchImpl(input, { ...init, signal });
      reachability.answered();
      if (headersOnly) {
        clearTimeout(timer);
        return response;
      }
      // The timeout covers the body too (readBody), until it has been read.
      return whenBodySettled(response, () => clearTimeout(timer));
    } catch (error) {
      clearTimeout(timer);
      if (timeout.signal.aborted) {
        reachability.timedOut(timeoutMs);
        throw new NextcloudError({
          code: 'timeout',
          message: `Nextcloud did not answer ${method} ${humanPath(path)} within ${timeoutMs} ms.`,
          method,
          path,
          cause: error,
        });
      }
      if (init.signal?.aborted) throw error;
      throw new NextcloudError({
        code: 'unavailable',
        message: `Nextcloud at ${baseUrl} could not be reached for ${method} ${humanPath(path)}: ${(error as Error).message}`,
        method,
        path,
        cause: error,
      });
    }
  };

  return {
    baseUrl,
    userId,
    reachability,
    authHeaders,
    // Redirects are not followed unless a caller asks: fetch keeps custom headers across hosts, and
    // AUTHORIZATION-APP-API must go to NEXTCLOUD_URL only. (tsdav's discovery reads its redirects itself.)
    fetch: ((input: string | URL | Request, init?: RequestInit) => timedFetch(input, { redirect: 'manual', ...init })) as typeof fetch,
    // OCS, WebDAV and CalDAV requests of lib/ itself all come through here; tsdav sends through `fetch` above.
    async request(method, path, requestOptions = {}) {
      const url = new URL(baseUrl + path);
      for (const [key, value] of Object.entries(requestOptions.query ?? {})) {
        if (value !== undefined) url.searchParams.set(key, String(value));
      }
      const response = await timedFetch(url, {
        method,
        headers: { ...authHeaders(), ...requestOptions.headers },
        body: requestOptions.body,
        timeoutMs: requestOptions.timeoutMs,
        signal: requestOptions.signal,
        headersOnly: requestOptions.headersOnly,
        // A redirect from Nextcloud (e.g. to a login page) is never what an API call wants.
        redirect: 'manual',
      });
      if (response.ok || requestOptions.accept?.includes(response.status)) return response;
      if (response.status >= 300 && response.status < 400 && response.status !== 304)
        throw await redirectRefused(response, method, url.pathname);
      throw await errorFromResponse(response, method, url.pathname, userId);
    },
  };
}

/**
 * A redirect is not followed: fetch would carry AUTHORIZATION-APP-API, the secret that acts as any user, to
 * wherever Location points. The message says where it pointed, which is what an administrator needs to fix it.
 */
async function redirectRefused(response: Response, method: string, path: string): Promise<NextcloudError> {
  await response.body?.cancel().catch(() => undefined);
  const location = response.headers.get('location');
  return new NextcloudError({
    code: 'protocol',
    status: response.status,
    method,
    path,
    message: `Nextcloud answered ${method} ${humanPath(path)} with a redirect (${response.status}${location ? ` to ${location.split('?')[0]}` : ''}); it is not followed, so the app credentials stay with NEXTCLOUD_URL. Set NEXTCLOUD_URL to the address Nextcloud serves itself at.`,
  });
}

/**
 * The same answer, calling `settled` once its body has been read to the end or cancelled, so that a timer guarding
 * the body stops then instead of living on for the rest of its time. A body that breaks off leaves the timer to run
 * out, which does no harm.
 */
export function whenBodySettled(response: Response, settled: () => void): Response {
  if (!response.body) {
    settled();
    return response;
  }
  // `cancel` is in the Streams standard and in Node, not yet in TypeScript's DOM types.
  const transformer: Transformer<Uint8Array, Uint8Array> & { cancel: () => void } = { flush: settled, cancel: settled };
  const body = response.body.pipeThrough(new TransformStream(transformer));
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}

/**
 * Reads a whole (small) answer body. The call's timeout keeps running while the body arrives, so a body that
 * stalls ends as a timeout error rather than a bare AbortError.
 */
export async function readBody(response: Response, method: string, path: string): Promise<string> {
  try {
    return await response.text();
  } catch (error) {
    throw bodyBrokeOff(error, method, path, response.status);
  }
}

/** A body that stopped arriving: a timeout when the call's deadline ended it, a broken connection otherwise. */
export function bodyBrokeOff(error: unknown, method: string, path: string, status: number): NextcloudError {
  const name = (error as Error | undefined)?.name;
  const timedOut = name === 'TimeoutError' || name === 'AbortError';
  return new NextcloudError({
    code: timedOut ? 'timeout' : 'unavailable',
    status,
    method,
    path,
    message: timedOut
      ? `Nextcloud stopped sending its answer to ${method} ${humanPath(path)} before the timeout.`
      : `The answer of Nextcloud to ${method} ${humanPath(path)} broke off: ${(error as Error).message}`,
    cause: error,
  });
}

/** What came back, in a few words for a message: "200 with text/html". */
export function answerKind(response: Response): string {
  const type = response.headers.get('content-type')?.split(';')[0]?.trim();
  return `${response.status} with ${type || 'no content type'}`;
}

/**
 * An answer that is not what the request asks for (a login page, a proxy's error page, a cut-off body): never read
 * as an empty or partial result. `what` says what was wrong, e.g. "200 with text/html instead of a WebDAV multistatus".
 */
export function unexpectedAnswer(method: string, path: string, what: string, status?: number, cause?: unknown): NextcloudError {
  return new NextcloudError({
    code: 'protocol',
    status,
    method,
    path,
    message: `Nextcloud answered ${method}${path ? ` ${humanPath(path)}` : ''} in an unexpected way: ${what}. If this persists, check that NEXTCLOUD_URL reaches Nextcloud itself, not a login page or another proxy.`,
    cause,
  });
}

/** Reads Nextcloud's own explanation from a sabre XML error or an OCS envelope. */
export async function remoteMessageOf(response: Response): Promise<string | undefined> {
  const text = await response.text().catch(() => '');
  if (!text) return undefined;
  const sabre = /<(?:[a-z0-9]+:)?message[^>]*>([\s\S]*?)<\/(?:[a-z0-9]+:)?message>/i.exec(text);
  if (sabre?.[1]) return decodeXml(sabre[1].trim());
  try {
    const json = JSON.parse(text) as { ocs?: { meta?: { message?: string } }; message?: string };
    return json.ocs?.meta?.message || json.message || undefined;
  } catch {
    return undefined;
  }
}

export async function errorFromResponse(
  response: Response,
  method: string,
  path: string,
  userId: string,
  code?: NextcloudErrorCode,
): Promise<NextcloudError> {
  const status = response.status;
  const errorCode = code ?? codeForStatus(status);
  const remoteMessage = await remoteMessageOf(response);
  const who = userId ? `as ${userId}` : 'as the app';
  const detail = remoteMessage ? ` Nextcloud said: ${remoteMessage}` : '';
  return new NextcloudError({
    code: errorCode,
    status,
    remoteMessage,
    method,
    path,
    message: `${method} ${humanPath(path)} ${who} failed (${status}): ${explain(errorCode)}.${detail}`,
  });
}

/** DAV paths are long and encoded; show the part a person recognises. */
export function humanPath(path: string): string {
  const match = /^\/remote\.php\/dav\/(?:files|calendars|addressbooks\/users)\/[^/]+(\/.*)?$/.exec(path);
  const shown = match ? match[1] || '/' : path;
  try {
    return decodeURIComponent(shown);
  } catch {
    return shown;
  }
}

function decodeXml(text: string): string {
  return text.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&quot;', '"').replaceAll('&apos;', "'").replaceAll('&amp;', '&');
}
