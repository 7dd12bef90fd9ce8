// Access tokens are JWTs (RFC 9068 profile) signed with a key the app generates on first use and keeps in its
// store. They are short-lived; revocation still applies at once because every check also looks up the grant, so a
// token's verified signature may be remembered until it expires.
import { hash } from 'node:crypto';
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, jwtVerify, errors as joseErrors } from 'jose';
import type { CryptoKey, JWK } from 'jose';
import type { OAuthStore } from '../store/oauth-store.js';

const ALG = 'ES256';
const TYPE = 'at+jwt';

export interface SigningKeys {
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
}

/** Loads the signing key, creating it on the very first start. */
export async function loadSigningKeys(store: OAuthStore): Promise<SigningKeys> {
  let stored = store.getSigningKey();
  if (!stored) {
    const { privateKey, publicKey } = await generateKeyPair(ALG, { extractable: true });
    const publicJwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(publicJwk);
    store.insertSigningKey({
      kid,
      alg: ALG,
      privateJwk: JSON.stringify(await exportJWK(privateKey)),
      publicJwk: JSON.stringify({ ...publicJwk, kid, alg: ALG, use: 'sig' }),
    });
    // Another process may have won the race; whatever the table holds now is the key.
    stored = store.getSigningKey()!;
  }
  const publicJwk = JSON.parse(stored.publicJwk) as JWK;
  return {
    kid: stored.kid,
    privateKey: (await importJWK(JSON.parse(stored.privateJwk) as JWK, stored.alg)) as CryptoKey,
    publicKey: (await importJWK(publicJwk, stored.alg)) as CryptoKey,
    publicJwk,
  };
}

export interface AccessTokenClaims {
  userId: string;
  clientId: string;
  grantId: string;
  scopes: string[];
  resource: string;
}

export async function signAccessToken(keys: SigningKeys, issuer: string, claims: AccessTokenClaims, ttlSeconds: number): Promise<string> {
  return new SignJWT({ scope: claims.scopes.join(' '), client_id: claims.clientId, gid: claims.grantId })
    .setProtectedHeader({ alg: ALG, typ: TYPE, kid: keys.kid })
    .setIssuer(issuer)
    .setSubject(claims.userId)
    .setAudience(claims.resource)
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .setJti(crypto.randomUUID())
    .sign(keys.privateKey);
}

export type AccessTokenCheck = { ok: true; claims: AccessTokenClaims; expiresAt: number } | { ok: false; description: string };

export interface ExpectedAudience {
  issuers: string[];
  audiences: string[];
}

/** Checks signature, type, issuer, audience and expiry; the grant lookup is the caller's. */
export async function verifyAccessToken(
  keys: SigningKeys,
  token: string,
  expected: ExpectedAudience,
  options: {
    ignoreExpiry?: boolean;
    /** The time expiry is checked against (ms since the epoch); default: now. */
    now?: number;
  } = {},
): Promise<AccessTokenCheck> {
  try {
    const { payload } = await jwtVerify(token, keys.publicKey, {
      algorithms: [ALG],
      typ: TYPE,
      issuer: expected.issuers,
      audience: expected.audiences,
      requiredClaims: ['sub', 'exp', 'gid', 'client_id'],
      ...(options.now === undefined ? {} : { currentDate: new Date(options.now) }),
      // Revocation (RFC 7009) accepts expired tokens of ours: the grant they name is what gets revoked.
      ...(options.ignoreExpiry ? { clockTolerance: 10 * 365 * 24 * 3600 } : {}),
    });
    const { sub, gid, client_id: clientId, scope, aud, exp } = payload as Record<string, unknown>;
    if (typeof sub !== 'string' || typeof gid !== 'string' || typeof clientId !== 'string' || typeof exp !== 'number') {
      return { ok: false, description: 'the token lacks required claims' };
    }
    const resource = Array.isArray(aud) ? String(aud[0]) : String(aud);
    return {
      ok: true,
      claims: { userId: sub, grantId: gid, clientId, scopes: typeof scope === 'string' ? scope.split(' ').filter(Boolean) : [], resource },
      expiresAt: exp,
    };
  } catch (error) {
    return { ok: false, description: describeJoseError(error) };
  }
}

const EXPIRED = 'the access token has expired';

/**
 * Access tokens already verified (signature, type, issuer, audience), kept until they expire, so the ES256
 * signature is checked once per token rather than on every request. Only the token's own check is kept: the grant
 * lookup (revocation), the admin's client rules, the account check and the scope ceiling stay with the caller and
 * run on every request. An entry is keyed by a hash of the token together with the issuers and audiences it was
 * checked against (a token good at one URL is not thereby good at another), is never used at or past the token's
 * exp, and the least recently used go first beyond `max`. Refusals are not kept.
 */
export class VerifiedAccessTokens {
  private readonly entries = new Map<string, { claims: AccessTokenClaims; expiresAt: number }>();
  private readonly max: number;
  private readonly now: () => number;

  constructor(
    private readonly keys: SigningKeys,
    options: { max?: number; now?: () => number } = {},
  ) {
    this.max = options.max ?? 10_000;
    this.now = options.now ?? (() => Date.now());
  }

  /** Tokens held. */
  get size(): number {
    return this.entries.size;
  }

  async verify(token: string, expected: ExpectedAudience): Promise<AccessTokenCheck> {
    const now = this.now();
    const key = hash('sha256', JSON.stringify([token, expected.issuers, expected.audiences]), 'base64url');
    const known = this.entries.get(key);
    if (known) {
      this.entries.delete(key);
      // As jose decides it: a token is expired from its exp second on.
      if (known.expiresAt <= Math.floor(now / 1000)) return { ok: false, description: EXPIRED };
      this.entries.set(key, known);
      return { ok: true, claims: known.claims, expiresAt: known.expiresAt };
    }
    const check = await verifyAccessToken(this.keys, token, expected, { now });
    if (!check.ok) return check;
    // Frozen: every request holding this token shares the claims.
    const claims = Object.freeze({ ...check.claims, scopes: Object.freeze([...check.claims.scopes]) as string[] });
    this.entries.set(key, { claims, expiresAt: check.expiresAt });
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
    return { ok: true, claims, expiresAt: check.expiresAt };
  }
}

function describeJoseError(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return EXPIRED;
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return 'the access token was issued for another resource';
    if (error.claim === 'iss') return 'the access token was issued by another server';
    return `the access token's ${error.claim} claim is not acceptable`;
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'the access token signature is not valid';
  return 'the access token is malformed or not signed by this server';
}
