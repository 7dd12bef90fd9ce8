// Access tokens from an external OpenID provider the admin trusts (Nextcloud's `oidc` app, Keycloak, ...), the
// contract's §8(c). Such a token is only accepted when that provider issued it for *us* (its `aud` names one of
// our resources, §1.6): never a token meant for another service (no passthrough, §7.1). JWTs are checked against
// the provider's published keys with jose; opaque tokens are checked by RFC 7662 introspection.
import { createRemoteJWKSet, customFetch, decodeJwt, errors as joseErrors, jwtVerify } from 'jose';
import type { JWTPayload, JWTVerifyGetKey, ProtectedHeaderParameters } from 'jose';
import type { Scope } from '../core/scopes.js';
import { SCOPES, isScope, splitScopeString } from '../core/scopes.js';
import type { TrustedIssuer } from '../core/trusted-issuers.js';
import { isSecureUrl } from '../core/trusted-issuers.js';
import type { AccessTokenVerifier } from './verifier.js';

// ---------------------------------------------------------------------------------------------------------------
// Verification

export type ExternalVerdict =
  | { ok: true; userId: string; scopes: Scope[]; clientId: string | null; issuer: string; expiresAt: number /* epoch seconds */ }
  | { ok: false; reason: 'not_external' | 'invalid_token'; description: string };

export interface ExternalVerifier {
  readonly issuers: readonly string[];
  /** `resources` are the MCP resource URLs this server answers for (used as accepted audiences when an issuer configures none). */
  verify(token: string, resources: readonly string[]): Promise<ExternalVerdict>;
}

interface Http {
  fetch: typeof fetch;
  timeoutMs: number;
  /** Epoch milliseconds, like Date.now. */
  now: () => number;
}

type Claims = Record<string, unknown>;

const NOT_EXTERNAL: ExternalVerdict = { ok: false, reason: 'not_external', description: 'the token is not from a trusted external issuer' };

function invalid(description: string): ExternalVerdict {
  // Descriptions end up in a WWW-Authenticate header: keep them on one line.
  return { ok: false, reason: 'invalid_token', description: description.replace(/\p{Cc}+/gu, ' ') };
}

/** A failure talking to a provider; its message is already fit for a verdict. */
class ProviderError extends Error {}

/**
 * `options.fetch` replaces the global fetch for discovery, keys and introspection; `timeoutMs` (default 5000)
 * bounds each of those requests; `now` is the clock in epoch milliseconds, like Date.now (the default).
 */
export function createExternalVerifier(
  issuers: TrustedIssuer[],
  options: { fetch?: typeof fetch; timeoutMs?: number; now?: () => number } = {},
): ExternalVerifier {
  const http: Http = { fetch: options.fetch ?? fetch, timeoutMs: options.timeoutMs ?? 5000, now: options.now ?? Date.now };
  const byIssuer = new Map(issuers.map((config) => [config.issuer, config]));
  const keySets = new Map<string, Promise<JWTVerifyGetKey>>();

  /** One key set per issuer, kept for the verifier's life; jose refetches it when an unknown `kid` shows up. */
  function keySetFor(config: TrustedIssuer): Promise<JWTVerifyGetKey> {
    let keySet = keySets.get(config.issuer);
    if (!keySet) {
      keySet = findJwksUri(config, http).then((uri) =>
        createRemoteJWKSet(new URL(uri), { timeoutDuration: http.timeoutMs, [customFetch]: http.fetch }),
      );
      keySets.set(config.issuer, keySet);
      // A failed discovery is not remembered: the next token tries again.
      const attempt = keySet;
      attempt.catch(() => keySets.get(config.issuer) === attempt && keySets.delete(config.issuer));
    }
    return keySet;
  }

  return {
    issuers: issuers.map((config) => config.issuer),
    async verify(token, resources) {
      const iss = unverifiedIssuer(token);
      if (iss === undefined) return introspect(issuers, token, resources, http);
      const config = iss === null ? undefined : byIssuer.get(iss);
      if (!config) return NOT_EXTERNAL;
      let keySet: JWTVerifyGetKey;
      try {
        keySet = await keySetFor(config);
      } catch (error) {
        return invalid(error instanceof ProviderError ? error.message : unreachable(config.issuer, error));
      }
      return verifyJwt(config, keySet, token, resources, http);
    },
  };
}

/** The provider's tokens as one verifier of the bearer check's chain; a token no trusted provider issued passes on. */
export function externalAccessTokens(external: ExternalVerifier): AccessTokenVerifier {
  return {
    async verify(token, { audiences }) {
      const verdict = await external.verify(token, audiences);
      if (verdict.ok) {
        const { userId, clientId, scopes, issuer, expiresAt } = verdict;
        return { outcome: 'accepted', identity: { userId, clientId: clientId ?? issuer, scopes, grantId: null, issuer, expiresAt } };
      }
      return verdict.reason === 'invalid_token' ? { outcome: 'refused', description: verdict.description } : { outcome: 'not_mine' };
    },
  };
}

/**
 * The `iss` of a JWT before any check, used only to pick the issuer whose keys must then verify it: null for a
 * JWT without one, undefined for anything that is not a (signed) JWT at all, i.e. an opaque token.
 */
function unverifiedIssuer(token: string): string | null | undefined {
  try {
    const { iss } = decodeJwt(token);
    return typeof iss === 'string' ? iss : null;
  } catch {
    return undefined;
  }
}

function acceptedAudiences(config: TrustedIssuer, resources: readonly string[]): string[] {
  return config.audience === undefined ? [...resources] : [config.audience].flat();
}

async function verifyJwt(
  config: TrustedIssuer,
  keySet: JWTVerifyGetKey,
  token: string,
  resources: readonly string[],
  http: Http,
): Promise<ExternalVerdict> {
  const audience = acceptedAudiences(config, resources);
  if (audience.length === 0) return invalid('no audience is configured for this issuer');
  let payload: JWTPayload;
  let header: ProtectedHeaderParameters;
  try {
    ({ payload, protectedHeader: header } = await jwtVerify(token, keySet, {
      issuer: config.issuer,
      audience,
      algorithms: config.algorithms,
      clockTolerance: config.clockToleranceSeconds,
      currentDate: new Date(http.now()),
      requiredClaims: ['exp'],
    }));
  } catch (error) {
    return invalid(describeJwtError(error, config.issuer));
  }
  const notAccessToken = notAnAccessToken(header, payload);
  if (notAccessToken) return invalid(notAccessToken);
  return identity(config, payload);
}

/**
 * An ID token (or a provider's refresh token) from the same issuer is signed with the same keys and may even
 * carry an acceptable `aud`; it must still not work as an access token.
 */
function notAnAccessToken(header: ProtectedHeaderParameters, payload: JWTPayload): string | null {
  // RFC 7515 §4.1.9: typ is case-insensitive and may omit the "application/" prefix.
  const typ = header.typ?.toLowerCase().replace(/^application\//, '');
  if (typ !== undefined && typ !== 'at+jwt' && typ !== 'jwt')
    return 'the token\'s "typ" header marks it as something other than an access token';
  // nonce, at_hash and c_hash exist only in ID tokens (OpenID Connect Core §2, §3.3.2.11).
  if (['nonce', 'at_hash', 'c_hash'].some((claim) => claim in payload)) return 'the token is an ID token, not an access token';
  // Keycloak labels its JWTs with a "typ" claim: "Bearer" for access tokens, "ID" or "Refresh" for the others.
  if (typeof payload.typ === 'string' && payload.typ.toLowerCase() !== 'bearer') return 'the token is not an access token';
  return null;
}

function describeJwtError(error: unknown, issuer: string): string {
  if (error instanceof joseErrors.JWTExpired) return 'the access token has expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'aud') return 'the access token was issued for another resource';
    if (error.claim === 'nbf') return 'the access token is not valid yet';
    if (error.claim === 'exp') return 'the access token has no expiry';
    return `the access token's "${error.claim}" claim is not acceptable`;
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'the access token signature is not valid';
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'the access token is signed with an algorithm that is not allowed';
  if (error instanceof joseErrors.JWKSNoMatchingKey) return `no signing key of ${issuer} matches the access token`;
  if (error instanceof joseErrors.JWKSMultipleMatchingKeys)
    return `the signing keys of ${issuer} do not identify one key for the access token`;
  if (error instanceof joseErrors.JWKSInvalid) return `the signing keys published by ${issuer} are not a valid key set`;
  if (error instanceof joseErrors.JWKSTimeout) return `could not reach the identity provider ${issuer}: no answer within the timeout`;
  if (error instanceof joseErrors.JWTInvalid || error instanceof joseErrors.JWSInvalid || error instanceof joseErrors.JOSENotSupported)
    return 'the access token is malformed';
  // What is left comes from fetching the key set (network errors, a non-200 answer).
  return unreachable(issuer, error);
}

function unreachable(issuer: string, error: unknown): string {
  return `could not reach the identity provider ${issuer}: ${networkProblem(error)}`;
}

function networkProblem(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === 'TimeoutError' || error.name === 'AbortError') return 'no answer within the timeout';
  // undici reports "fetch failed" and keeps the useful part (ECONNREFUSED, ENOTFOUND, ...) in the cause.
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
  const detail = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : undefined;
  return detail ? `${error.message} (${detail})` : error.message;
}

// ---------------------------------------------------------------------------------------------------------------
// Provider endpoints: discovery, introspection

/** Discovery documents and introspection answers are small; anything larger is not what we asked for. */
const MAX_PROVIDER_ANSWER_BYTES = 256 * 1024;

/** Reads a body up to `limit` bytes, cancelling the download as soon as it is exceeded. */
async function readCapped(response: Response, limit: number): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel();
      throw new ProviderError(`the identity provider answered more than ${limit} bytes at ${response.url}`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Fetches a JSON object with a timeout. No redirects: a redirect could carry our client credentials elsewhere. */
async function fetchJson(http: Http, issuer: string, url: string, init: RequestInit = {}): Promise<Claims> {
  let response: Response;
  let body: unknown;
  try {
    response = await http.fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(http.timeoutMs) });
    if (!response.ok) {
      await response.body?.cancel();
      throw new ProviderError(`could not reach the identity provider ${issuer}: ${url} answered HTTP ${response.status}`);
    }
    body = await readCapped(response, MAX_PROVIDER_ANSWER_BYTES).then(
      (text) => JSON.parse(text) as unknown,
      (error: unknown) => {
        if (error instanceof ProviderError) throw error;
        return undefined;
      },
    );
  } catch (error) {
    throw error instanceof ProviderError ? error : new ProviderError(unreachable(issuer, error));
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new ProviderError(`the identity provider ${issuer} did not answer a JSON object at ${url}`);
  return body as Claims;
}

/** OIDC discovery appends the well-known path to the issuer; RFC 8414 inserts it before the issuer's path. */
function metadataUrls(issuer: string): string[] {
  const url = new URL(issuer);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  return [
    ...new Set([
      `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`,
      `${url.origin}/.well-known/oauth-authorization-server${path}`,
      `${issuer.replace(/\/$/, '')}/.well-known/oauth-authorization-server`,
    ]),
  ];
}

async function findJwksUri(config: TrustedIssuer, http: Http): Promise<string> {
  if (config.jwksUri) return config.jwksUri;
  const problems: string[] = [];
  for (const url of metadataUrls(config.issuer)) {
    let metadata: Claims;
    try {
      metadata = await fetchJson(http, config.issuer, url, { headers: { accept: 'application/json' } });
    } catch (error) {
      problems.push((error as Error).message);
      continue;
    }
    // Both discovery specs require the document to name the very issuer it was fetched for (anti mix-up).
    if (metadata.issuer !== config.issuer)
      throw new ProviderError(`the metadata at ${url} names the issuer ${JSON.stringify(metadata.issuer)}, not ${config.issuer}`);
    if (typeof metadata.jwks_uri !== 'string' || !isSecureUrl(metadata.jwks_uri))
      throw new ProviderError(`the metadata at ${url} has no usable jwks_uri; set "jwksUri" for ${config.issuer}`);
    return metadata.jwks_uri;
  }
  throw new ProviderError(problems.at(-1) ?? `no metadata found for ${config.issuer}`);
}

/** RFC 6749 §2.3.1: client_secret_basic form-encodes id and secret before joining them. */
function basicAuth(clientId: string, clientSecret: string): string {
  const encode = (value: string) => new URLSearchParams({ v: value }).toString().slice(2);
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}`;
}

/**
 * Opaque tokens say nothing about their issuer, so each provider with an introspection endpoint is asked in
 * turn until one knows the token. The admin trusts every configured provider with our users' tokens anyway.
 */
async function introspect(
  issuers: readonly TrustedIssuer[],
  token: string,
  resources: readonly string[],
  http: Http,
): Promise<ExternalVerdict> {
  const introspecting = issuers.filter((config) => config.introspection);
  if (introspecting.length === 0) return NOT_EXTERNAL;
  const problems: string[] = [];
  for (const config of introspecting) {
    const { endpoint, clientId, clientSecret } = config.introspection!;
    let answer: Claims;
    try {
      answer = await fetchJson(http, config.issuer, endpoint, {
        method: 'POST',
        headers: {
          authorization: basicAuth(clientId, clientSecret),
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
      });
    } catch (error) {
      problems.push((error as Error).message);
      continue;
    }
    if (answer.active === true) return checkIntrospection(config, answer, resources, http);
  }
  return invalid(
    problems.length > 0
      ? problems.join('; ')
      : 'the identity provider does not know the token as active (expired, revoked or never issued)',
  );
}

/**
 * An active answer still has to be for us. Unlike a JWT, an introspection answer may omit `aud`; we then
 * refuse, whatever is configured: without `aud` nothing shows the token was meant for this server, and
 * Keycloak-style providers answer for every token of the realm (and for refresh tokens too).
 */
function checkIntrospection(config: TrustedIssuer, claims: Claims, resources: readonly string[], http: Http): ExternalVerdict {
  if (claims.iss !== undefined && claims.iss !== config.issuer) return invalid('the introspected token was issued by another issuer');
  const audience = acceptedAudiences(config, resources);
  const aud = typeof claims.aud === 'string' ? [claims.aud] : Array.isArray(claims.aud) ? claims.aud : [];
  if (aud.length === 0) return invalid('the identity provider does not say which resource the token is for');
  if (!aud.some((value) => audience.includes(value as string))) return invalid('the access token was issued for another resource');
  if (typeof claims.token_type === 'string' && claims.token_type.toLowerCase() !== 'bearer')
    return invalid('the token is not a bearer access token');
  const now = http.now() / 1000;
  if (typeof claims.exp !== 'number') return invalid('the access token has no expiry');
  if (claims.exp + config.clockToleranceSeconds <= now) return invalid('the access token has expired');
  if (typeof claims.nbf === 'number' && claims.nbf - config.clockToleranceSeconds > now)
    return invalid('the access token is not valid yet');
  return identity(config, claims);
}

// ---------------------------------------------------------------------------------------------------------------
// Claims -> identity

/** Nextcloud user ids never hold these, and a path separator in one would be a traversal in DAV URLs. */
function isUsableUserId(value: unknown): value is string {
  return typeof value === 'string' && value !== '' && value !== '.' && value !== '..' && !/[:/\\\p{Cc}]/u.test(value);
}

function mapScopes(config: TrustedIssuer, value: unknown): Scope[] {
  const external =
    typeof value === 'string'
      ? splitScopeString(value)
      : Array.isArray(value)
        ? value.filter((item): item is string => typeof item === 'string')
        : [];
  const ours = new Set<Scope>();
  for (const scope of external) {
    if (isScope(scope)) ours.add(scope);
    // hasOwn: a provider scope like "constructor" must not reach Object.prototype.
    if (Object.hasOwn(config.scopeMap, scope)) for (const mapped of config.scopeMap[scope] ?? []) ours.add(mapped);
  }
  return SCOPES.filter((scope) => ours.has(scope));
}

function identity(config: TrustedIssuer, claims: Claims): ExternalVerdict {
  const userId = claims[config.userClaim];
  if (!isUsableUserId(userId)) return invalid(`the token's "${config.userClaim}" claim does not hold a usable Nextcloud user id`);
  const clientId = typeof claims.client_id === 'string' ? claims.client_id : typeof claims.azp === 'string' ? claims.azp : null;
  return {
    ok: true,
    userId,
    scopes: mapScopes(config, claims[config.scopeClaim]),
    clientId,
    issuer: config.issuer,
    expiresAt: claims.exp as number,
  };
}
