// Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document): the client_id is an https URL and
// the JSON document there describes the client. Fetching an URL that any caller names is a server-side request
// forgery risk, so the fetch is narrow: https only, public unicast addresses only (resolved once and pinned, so a
// second DNS answer cannot rebind), no redirects, a small size cap, one deadline for DNS, connect and body.
// Good documents are cached per Cache-Control (and served stale for a while when the host fails); failures are
// remembered for a few seconds only. Nothing here logs: callers get outcomes with descriptions a person can act on.
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import tls from 'node:tls';
import ipaddr from 'ipaddr.js';
import { clientMetadataDocumentSchema, documentIdProblem } from './client-metadata-schema.js';
import type { ClientMetadataDocument } from './client-metadata-schema.js';
import { issuesText } from '../../lib/zod-issues.js';

/** How long a failed fetch is remembered: long enough to absorb a flood, short enough to pick up a fix soon. */
const FAILURE_CACHE_MS = 5_000;
const USER_AGENT = 'Nextcloud-MCP-Gateway (client metadata document fetcher)';

/**
 * Why an IP address must not be fetched from (the ipaddr.js range name, such as 'private' or 'loopback'), or null
 * when it is public unicast. IPv4-mapped IPv6 addresses are judged as the IPv4 address they carry; IPv6 addresses
 * must also lie in 2000::/3, the only block with global unicast assignments.
 */
export function nonPublicAddressRange(address: string): string | null {
  if (!ipaddr.isValid(address)) return 'invalid';
  const parsed = ipaddr.process(address);
  const range = parsed.range();
  if (range !== 'unicast') return range;
  if (parsed.kind() === 'ipv6' && !parsed.match(ipaddr.IPv6.parse('2000::'), 3)) return 'reserved';
  return null;
}

export type FetchOutcome =
  { ok: true; document: ClientMetadataDocument; fromCache: boolean } | { ok: false; error: 'invalid_client'; description: string };

export interface ClientMetadataFetcher {
  fetch(clientId: string): Promise<FetchOutcome>;
}

export interface ClientMetadataFetcherOptions {
  /** Largest accepted body in bytes; default 5120 (the draft suggests 5 KB). */
  maxBytes?: number;
  /** One deadline for DNS, connect and the whole body; default 5000. */
  timeoutMs?: number;
  /** Default 60. */
  minCacheSeconds?: number;
  /** Default 86400. */
  maxCacheSeconds?: number;
  /** Default 3600, when the answer has no usable Cache-Control max-age. */
  defaultCacheSeconds?: number;
  /** Default 86400: serve the last good document when a refetch fails (Claude's document host had an outage). */
  staleIfErrorSeconds?: number;
  /** Default 1000, least recently used evicted. */
  maxEntries?: number;
  /** Tests only: also allow http:// and loopback/private targets. Never set in production code paths. */
  allowInsecureForTests?: boolean;
  /** Injected for tests: DNS resolution (default dns.promises.lookup with all:true) and extra CA certificates for https. */
  lookup?: (hostname: string) => Promise<Array<{ address: string; family: 4 | 6 }>>;
  ca?: string | Buffer;
  now?: () => number;
}

/** One network attempt. transient failures (network, timeout, 5xx) may be answered from a stale document. */
type Retrieval =
  { ok: true; document: ClientMetadataDocument; cacheSeconds: number } | { ok: false; description: string; transient: boolean };

interface CacheEntry {
  good?: { document: ClientMetadataDocument; freshUntil: number; staleUntil: number };
  failure?: { description: string; until: number };
}

async function systemLookup(hostname: string): Promise<Array<{ address: string; family: 4 | 6 }>> {
  const answers = await dns.promises.lookup(hostname, { all: true, verbatim: true });
  return answers.map((answer) => ({ address: answer.address, family: answer.family === 6 ? 6 : 4 }));
}

/** OAuth error_description allows printable ASCII except '"' and '\'; remote text is squeezed into that. */
function cleanDescription(text: string): string {
  const cleaned = text.replace(/["\\]/g, "'").replace(/[^\x20-\x7e]/g, '?');
  return cleaned.length > 1000 ? `${cleaned.slice(0, 997)}...` : cleaned;
}

function errorCode(error: unknown): string {
  if (error && typeof error === 'object') {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const message = (error as { message?: unknown }).message;
    if (typeof message === 'string') return message;
  }
  return String(error);
}

function positive(value: number | undefined, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : fallback;
}

export function createClientMetadataFetcher(options: ClientMetadataFetcherOptions = {}): ClientMetadataFetcher {
  const maxBytes = positive(options.maxBytes, 5120);
  const timeoutMs = positive(options.timeoutMs, 5000);
  const minCacheSeconds = positive(options.minCacheSeconds, 60);
  const maxCacheSeconds = Math.max(minCacheSeconds, positive(options.maxCacheSeconds, 86_400));
  const defaultCacheSeconds = positive(options.defaultCacheSeconds, 3600);
  const staleIfErrorSeconds = positive(options.staleIfErrorSeconds, 86_400);
  const maxEntries = Math.max(1, Math.floor(positive(options.maxEntries, 1000)));
  const insecure = options.allowInsecureForTests === true;
  const lookup = options.lookup ?? systemLookup;
  const ca =
    options.ca === undefined
      ? undefined
      : [...tls.rootCertificates, typeof options.ca === 'string' ? options.ca : options.ca.toString('utf8')];
  const now = options.now ?? Date.now;

  const cache = new Map<string, CacheEntry>();
  const inflight = new Map<string, Promise<FetchOutcome>>();

  const clamp = (seconds: number) => Math.min(maxCacheSeconds, Math.max(minCacheSeconds, seconds));

  function cacheSecondsFor(header: string | undefined): number {
    if (!header) return clamp(defaultCacheSeconds);
    const directives = header
      .toLowerCase()
      .split(',')
      .map((directive) => directive.trim());
    if (directives.includes('no-store') || directives.includes('no-cache')) return minCacheSeconds;
    for (const directive of directives) {
      const match = /^max-age\s*=\s*"?(\d+)"?$/.exec(directive);
      if (match) return clamp(Number(match[1]));
    }
    return clamp(defaultCacheSeconds);
  }

  function remember(clientId: string, entry: CacheEntry): void {
    cache.delete(clientId);
    cache.set(clientId, entry);
    while (cache.size > maxEntries) {
      const oldest = cache.keys().next();
      if (oldest.done) break;
      cache.delete(oldest.value);
    }
  }

  function retrieve(clientId: string, url: URL): Promise<Retrieval> {
    const where = `The client metadata document at ${clientId}`;
    const fail = (description: string, transient: boolean): Retrieval => ({
      ok: false,
      description: cleanDescription(description),
      transient,
    });

    return new Promise<Retrieval>((resolve) => {
      let settled = false;
      let request: http.ClientRequest | undefined;
      const finish = (result: Retrieval) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        request?.destroy();
        resolve(result);
      };
      const timer = setTimeout(
        () => finish(fail(`${where} could not be fetched within ${timeoutMs} ms (DNS, connection and body together).`, true)),
        timeoutMs,
      );

      const start = async () => {
        // url.hostname is canonical: lower case, IPv4 in dotted form, IPv6 in brackets.
        const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
        const literal = ipaddr.isValid(hostname);
        let addresses: Array<{ address: string; family: 4 | 6 }>;
        if (literal) {
          addresses = [{ address: hostname, family: ipaddr.parse(hostname).kind() === 'ipv6' ? 6 : 4 }];
        } else {
          try {
            addresses = await lookup(hostname);
          } catch (error) {
            finish(fail(`${where} could not be fetched: the host ${hostname} could not be resolved (${errorCode(error)}).`, true));
            return;
          }
        }
        if (settled) return;
        if (addresses.length === 0) {
          finish(fail(`${where} could not be fetched: the host ${hostname} has no addresses.`, true));
          return;
        }
        // Every answer must be public: a host that also resolves somewhere internal is refused outright.
        for (const { address } of addresses) {
          const range = nonPublicAddressRange(address);
          if (range === 'invalid' || (range !== null && !insecure)) {
            finish(
              fail(
                `${where} is not fetched: the host ${hostname} resolves to an address that is not public (${range}). Client metadata documents are only fetched from public addresses.`,
                false,
              ),
            );
            return;
          }
        }
        const pinned = ipaddr.process(addresses[0]!.address);
        const pinnedAddress = pinned.toString();
        const pinnedFamily = pinned.kind() === 'ipv6' ? 6 : 4;
        // The connection goes to the vetted address and nowhere else, whatever DNS says by now.
        const pinnedLookup: LookupFunction = (_host, lookupOptions, callback) => {
          process.nextTick(() => {
            if (lookupOptions.all) callback(null, [{ address: pinnedAddress, family: pinnedFamily }]);
            else callback(null, pinnedAddress, pinnedFamily);
          });
        };
        const requestOptions: https.RequestOptions = {
          method: 'GET',
          host: hostname,
          port: url.port ? Number(url.port) : undefined,
          path: `${url.pathname}${url.search}`,
          headers: { host: url.host, accept: 'application/json', 'accept-encoding': 'identity', 'user-agent': USER_AGENT },
          agent: false,
          lookup: pinnedLookup,
        };
        const onResponse = (response: http.IncomingMessage) => {
          const status = response.statusCode ?? 0;
          if (status >= 300 && status < 400) {
            const location = response.headers.location;
            finish(
              fail(
                `${where} answered with a redirect (HTTP ${status}${location ? ` to ${location.slice(0, 200)}` : ''}). Redirects are not followed: the client_id must be the URL the document is served at.`,
                false,
              ),
            );
            return;
          }
          if (status !== 200) {
            finish(
              fail(
                `${where} answered with HTTP status ${status}; only 200 is accepted.`,
                status >= 500 || status === 429 || status === 408,
              ),
            );
            return;
          }
          const contentType = response.headers['content-type'];
          const mediaType = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
          if (mediaType !== 'application/json') {
            finish(
              fail(
                `${where} is served as ${contentType ? contentType.slice(0, 100) : 'no content type'}; it must be application/json.`,
                false,
              ),
            );
            return;
          }
          const encoding = (response.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
          if (encoding !== 'identity') {
            finish(
              fail(`${where} is served with Content-Encoding ${encoding.slice(0, 50)}; only uncompressed documents are accepted.`, false),
            );
            return;
          }
          const declared = response.headers['content-length'];
          if (declared !== undefined && /^\d+$/.test(declared) && Number(declared) > maxBytes) {
            finish(fail(`${where} is ${declared} bytes; the limit is ${maxBytes}.`, false));
            return;
          }
          const chunks: Buffer[] = [];
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            if (settled) return;
            size += chunk.length;
            if (size > maxBytes) {
              finish(
                fail(`${where} is larger than ${maxBytes} bytes (reading stopped after ${size} bytes); the limit is ${maxBytes}.`, false),
              );
              return;
            }
            chunks.push(chunk);
          });
          response.on('error', (error) => finish(fail(`${where} could not be read completely (${errorCode(error)}).`, true)));
          response.on('aborted', () => finish(fail(`${where} could not be read completely (the connection was closed).`, true)));
          response.on('end', () => {
            if (settled) return;
            if (!response.complete) {
              finish(fail(`${where} could not be read completely (the connection was closed).`, true));
              return;
            }
            finish(parseDocument(clientId, where, Buffer.concat(chunks), cacheSecondsFor(response.headers['cache-control']), fail));
          });
        };
        if (url.protocol === 'https:') {
          request = https.request({ ...requestOptions, ...(literal ? {} : { servername: hostname }), ...(ca ? { ca } : {}) }, onResponse);
        } else {
          request = http.request(requestOptions, onResponse);
        }
        request.on('error', (error) => finish(fail(`${where} could not be fetched (${errorCode(error)}).`, true)));
        request.end();
      };
      start().catch((error: unknown) => finish(fail(`${where} could not be fetched (${errorCode(error)}).`, true)));
    });
  }

  async function refresh(clientId: string, url: URL): Promise<FetchOutcome> {
    const result = await retrieve(clientId, url);
    const at = now();
    const previous = cache.get(clientId);
    if (result.ok) {
      const freshUntil = at + result.cacheSeconds * 1000;
      remember(clientId, { good: { document: result.document, freshUntil, staleUntil: freshUntil + staleIfErrorSeconds * 1000 } });
      return { ok: true, document: result.document, fromCache: false };
    }
    const failure = { description: result.description, until: at + FAILURE_CACHE_MS };
    // A host that is down keeps its last good document for a while; a definite answer (gone, invalid) does not.
    const stale = result.transient && previous?.good && at < previous.good.staleUntil ? previous.good : undefined;
    remember(clientId, stale ? { good: stale, failure } : { failure });
    return stale
      ? { ok: true, document: stale.document, fromCache: true }
      : { ok: false, error: 'invalid_client', description: result.description };
  }

  return {
    async fetch(clientId: string): Promise<FetchOutcome> {
      const problem = documentIdProblem(clientId, insecure);
      if (problem) {
        const shown = typeof clientId === 'string' ? clientId.slice(0, 200) : '';
        return {
          ok: false,
          error: 'invalid_client',
          description: cleanDescription(`The client_id ${shown} is not a client metadata document URL: ${problem}.`),
        };
      }
      const at = now();
      const entry = cache.get(clientId);
      if (entry) {
        if (entry.good && at < entry.good.freshUntil) {
          remember(clientId, entry);
          return { ok: true, document: entry.good.document, fromCache: true };
        }
        if (entry.failure && at < entry.failure.until) {
          remember(clientId, entry);
          if (entry.good && at < entry.good.staleUntil) return { ok: true, document: entry.good.document, fromCache: true };
          return { ok: false, error: 'invalid_client', description: entry.failure.description };
        }
      }
      const running = inflight.get(clientId);
      if (running) return running;
      const url = new URL(clientId);
      const attempt = refresh(clientId, url).finally(() => inflight.delete(clientId));
      inflight.set(clientId, attempt);
      return attempt;
    },
  };
}

function parseDocument(
  clientId: string,
  where: string,
  body: Buffer,
  cacheSeconds: number,
  fail: (description: string, transient: boolean) => Retrieval,
): Retrieval {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return fail(`${where} is not valid UTF-8.`, false);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return fail(`${where} is not valid JSON: ${error instanceof Error ? error.message.slice(0, 200) : 'parse error'}.`, false);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return fail(`${where} is not a JSON object.`, false);
  const parsed = clientMetadataDocumentSchema.safeParse(json);
  if (!parsed.success) {
    return fail(`${where} is not valid: ${issuesText(parsed.error.issues, { max: 3 })}.`, false);
  }
  if (parsed.data.client_id !== clientId) {
    return fail(
      `${where} names a different client_id (${parsed.data.client_id.slice(0, 200)}); it must be exactly the URL it is served at.`,
      false,
    );
  }
  return { ok: true, document: parsed.data, cacheSeconds };
}
