// Limits on what anonymous parties can make the server store (client registrations, pending sign-ins), per source
// address. A source is generous on purpose: ChatGPT and Claude reach the server from a few egress addresses shared
// by every one of their users, so the per-source limit only stops floods; a total cap bounds the rest.
import type { IncomingHttpHeaders } from 'node:http';

/**
 * The address a request came from, as far as this app can tell behind the proxy in front of it. `originTrusted`
 * says whether its X-Origin-IP is the PHP proxy's (originSetByPhpProxy): behind HaRP a client can send its own,
 * and a new one per request would make every request a new source.
 */
export function sourceOf(request: { headers: IncomingHttpHeaders; ip: string }, originTrusted: boolean): string {
  // Nextcloud's PHP proxy sets X-Origin-IP to the client's address, replacing any the client sent.
  const origin = request.headers['x-origin-ip'];
  if (originTrusted && typeof origin === 'string' && origin !== '') return origin;
  // Behind HaRP, the reverse proxy in front of Nextcloud appends the address it saw last; earlier entries are the
  // client's own claims.
  const forwarded = request.headers['x-forwarded-for'];
  const last = (Array.isArray(forwarded) ? forwarded.join(',') : (forwarded ?? '')).split(',').pop()?.trim();
  return last || request.ip;
}

export interface RateLimiter {
  /** Takes one unit for `key`; false when its budget is spent. */
  take(key: string): boolean;
  /** Seconds until `key` has a unit again. */
  retryAfter(key: string): number;
}

/**
 * A token bucket per key: `burst` units at once, refilled at `perMinute`. At most `maxKeys` buckets are kept;
 * when full, the ones that have refilled completely (idle sources) go first, then the oldest.
 */
export function rateLimiter(options: { burst: number; perMinute: number; maxKeys?: number; now?: () => number }): RateLimiter {
  const now = options.now ?? Date.now;
  const maxKeys = options.maxKeys ?? 10_000;
  const buckets = new Map<string, { units: number; at: number }>();
  const refill = (key: string) => {
    const at = now();
    const bucket = buckets.get(key);
    if (!bucket) return { units: options.burst, at };
    return { units: Math.min(options.burst, bucket.units + ((at - bucket.at) / 60_000) * options.perMinute), at };
  };
  const evict = () => {
    for (const key of [...buckets.keys()]) {
      if (buckets.size < maxKeys) return;
      if (refill(key).units >= options.burst) buckets.delete(key);
    }
    while (buckets.size >= maxKeys) buckets.delete(buckets.keys().next().value!);
  };
  return {
    take(key) {
      const bucket = refill(key);
      if (bucket.units < 1) {
        buckets.set(key, bucket);
        return false;
      }
      if (!buckets.has(key)) evict();
      buckets.delete(key);
      buckets.set(key, { units: bucket.units - 1, at: bucket.at });
      return true;
    },
    retryAfter(key) {
      const units = refill(key).units;
      return units >= 1 ? 0 : Math.ceil(((1 - units) / options.perMinute) * 60);
    },
  };
}

export interface AnonymousLimits {
  registrations: RateLimiter;
  /** Authorization requests kept while a person signs in to Nextcloud. */
  signIns: RateLimiter;
  /** Registered clients that never obtained a grant; beyond this the oldest go. */
  maxUnclaimedClients: number;
}

/**
 * A flood from one address stops after a burst; ChatGPT and Claude, whose users all share a few addresses and which
 * register a client on every fresh connection, stay well inside it.
 */
export function defaultAnonymousLimits(): AnonymousLimits {
  return {
    registrations: rateLimiter({ burst: 60, perMinute: 30 }),
    signIns: rateLimiter({ burst: 120, perMinute: 60 }),
    maxUnclaimedClients: 2000,
  };
}
