// Secrets: made with 256 random bits, stored only as their hash, compared in constant time.
import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Opaque one-time secrets (codes, refresh tokens): 256 random bits, URL-safe. */
export function newSecret(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

/** Secrets are stored and looked up by this hash; the lookup by hash is what compares them. */
export function hashSecret(secret: string): string {
  return hash('sha256', secret, 'base64url');
}

/** Constant-time comparison; hashing first makes the lengths equal without leaking the secret's length. */
export function secretsEqual(given: string, expected: string): boolean {
  // The expected side is nearly always the app secret, compared on every request: its hash is kept.
  if (expected !== lastExpected) [lastExpected, lastExpectedHash] = [expected, hash('sha256', expected, 'buffer')];
  return timingSafeEqual(hash('sha256', given, 'buffer'), lastExpectedHash);
}
let lastExpected: string | undefined;
let lastExpectedHash = Buffer.alloc(0);
