// Form tokens for the consent and connected-apps pages. A token is an HMAC over what the form acts on and the
// Nextcloud user who was shown it, so it needs no cookie (the proxy keeps only one Set-Cookie) and a token from
// one user's page is worthless in another user's browser.
import { createHmac, randomBytes } from 'node:crypto';
import type { Db } from '../store/database.js';
import { getMeta, setMeta } from '../store/database.js';
import { secretsEqual } from '../core/secrets.js';

export interface FormTokens {
  sign(...parts: string[]): string;
  verify(token: unknown, ...parts: string[]): boolean;
}

export function formTokens(db: Db): FormTokens {
  let key = getMeta(db, 'form_token_key');
  if (!key) {
    setMeta(db, 'form_token_key', randomBytes(32).toString('base64url'));
    key = getMeta(db, 'form_token_key')!;
  }
  const secret = Buffer.from(key, 'base64url');
  const sign = (...parts: string[]) => createHmac('sha256', secret).update(JSON.stringify(parts)).digest('base64url');
  return {
    sign,
    verify: (token, ...parts) => typeof token === 'string' && token.length > 0 && secretsEqual(token, sign(...parts)),
  };
}
