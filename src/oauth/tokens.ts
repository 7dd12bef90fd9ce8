// Access tokens are JWTs (RFC 9068 profile) signed with a key the app generates on first use and keeps in its
// store. They are short-lived; revocation still applies at once because every check also looks up the grant.
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, jwtVerify, errors as joseErrors } from 'jose';
import type { CryptoKey, JWK } from 'jose';
import type { OAuthStore } from '../store/oauth.js';

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
    store.insertSigningKey({ kid, alg: ALG, privateJwk: JSON.stringify(await exportJWK(privateKey)), publicJwk: JSON.stringify({ ...publicJwk, kid, alg: ALG, use: 'sig' }) });
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

export type AccessTokenCheck =
  | { ok: true; claims: AccessTokenClaims; expiresAt: number }
  | { ok: false; description: string };

/** Checks signature, type, issuer, audience and expiry; the grant lookup is the caller's. */
export async function verifyAccessToken(
  keys: SigningKeys,
  token: string,
  expected: { issuers: string[]; audiences: string[] },
  options: { ignoreExpiry?: boolean } = {},
): Promise<AccessTokenCheck> {
  try {
    const { payload } = await jwtVerify(token, keys.publicKey, {
      algorithms: [ALG],
      typ: TYPE,
      issuer: expected.issuers,
      audience: expected.audiences,
      requiredClaims: ['sub', 'exp', 'gid', 'client_id'],
      // Revocation (RFC 7009) accepts expired tokens of ours: the grant they name is what gets revoked.
      ...(options.ignoreExpiry ? { clockTolerance: 10 * 365 * 24 * 3600 } : {}),
    });
    const { sub, gid, client_id: clientId, scope, aud, exp } = payload as Record<string, unknown>;
    if (typeof sub !== 'string' || typeof gid !== 'string' || typeof clientId !== 'string' || typeof exp !== 'number') {
      return { ok: false, description: 'the token lacks required claims' };
    }
    const resource = Array.isArray(aud) ? String(aud[0]) : String(aud);
    return { ok: true, claims: { userId: sub, grantId: gid, clientId, scopes: typeof scope === 'string' ? scope.split(' ').filter(Boolean) : [], resource }, expiresAt: exp };
  } catch (error) {
    return { ok: false, description: describeJoseError(error) };
  }
}

function describeJoseError(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'the access token has expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return 'the access token was issued for another resource';
    if (error.claim === 'iss') return 'the access token was issued by another server';
    return `the access token's ${error.claim} claim is not acceptable`;
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'the access token signature is not valid';
  return 'the access token is malformed or not signed by this server';
}
