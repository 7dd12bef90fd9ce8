// Secrets: made with 256 random bits, stored only as their hash, compared in constant time.
import { hash, randomBytes } from 'node:crypto';

/** Opaque one-time secrets (codes, refresh tokens): 256 random bits, URL-safe. */
export function newSecret(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

/** Secrets are stored and looked up by this hash; the lookup by hash is what compares them. */
export function hashSecret(secret: string): string {
  return hash('sha256', secret, 'base64url');
}

/** Constant-time comparison, the same that checks AppAPI's secret. */
export { secretsEqual } from '../../lib/appapi/auth.js';
