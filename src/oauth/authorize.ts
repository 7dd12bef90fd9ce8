// /oauth/authorize: checks the client's request, makes sure a Nextcloud user is signed in (via Nextcloud's own
// login), asks for consent once, and sends the browser back with a one-time code (RFC 6749 §4.1, PKCE S256 only).
import { hash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Policy } from '../policy/policy.js';
import type { ClientRecord, OAuthStore } from '../store/oauth-store.js';
import { clientKindOf, clientKindProblem, redirectTrusted, redirectUriMatches, redirectUriProblem, resolveClient } from './clients.js';
import type { ClientMetadataFetcher } from './client-metadata-document.js';
import type { FormTokens } from './csrf.js';
import type { EligibilityChecker } from './eligibility.js';
import { answerErrors } from './error-answers.js';
import { OAuthError } from './errors.js';
import { consentPage, errorPage, navigate } from './pages.js';
import type { AnonymousLimits } from './rate-limit.js';
import { sourceOf } from './rate-limit.js';
import { signedInOnly } from './signed-in.js';
import { OFFLINE_ACCESS, formatScopes, isScope, splitScopeString } from '../core/scopes.js';
import type { Scope } from '../core/scopes.js';
import type { EndpointSource, PublicEndpoints } from '../http/urls.js';

/** Codes live five minutes (RFC 9700 recommends at most ten). */
const CODE_TTL_SECONDS = 300;
/** A consent page may stay open this long before its answer is refused; so long may a sign-in take, too. */
const PENDING_TTL_SECONDS = 600;
/** Pending requests of nobody yet: the authorization request kept while the person signs in. */
const NOT_SIGNED_IN = '';

const text = z.string().max(4096).optional();
const authorizeQuery = z.object({
  client_id: text,
  redirect_uri: text,
  response_type: text,
  code_challenge: text,
  code_challenge_method: text,
  scope: text,
  state: text,
  resource: text,
  prompt: text,
});
/**
 * Coming back from Nextcloud's login: an opaque id of the stored request. Nextcloud's two-factor step decodes the
 * return URL a second time, which corrupts `+`, `%2B`, `%26`, `%23` in a client's state or challenge; base64url
 * characters survive it.
 */
const resumeQuery = z.object({ resume: z.string().regex(/^[A-Za-z0-9_-]{20,64}$/) });

/** A request that passed every check; kept server-side while the consent page is open. */
const approvedRequest = z.object({
  clientId: z.string(),
  redirectUri: z.string(),
  codeChallenge: z.string(),
  scopes: z.array(z.string()),
  state: z.string().optional(),
  resource: z.string(),
});
type ValidRequest = z.infer<typeof approvedRequest>;

const consentForm = z.object({
  pending: z.string().min(1).max(100),
  form_token: z.string().min(1).max(200),
  decision: z.enum(['approve', 'deny']),
  scope: z.union([z.string(), z.array(z.string())]).optional(),
});

/** The resource as the client wrote it, tolerating one trailing slash (SDKs differ there). */
export function matchResource(requested: string | undefined, urls: PublicEndpoints): string | null {
  if (requested === undefined || requested === '') return urls.resource;
  const trimmed = requested.replace(/\/$/, '');
  return urls.acceptedResources.find((resource) => resource === trimmed) ?? null;
}

export function pkceChallenge(verifier: string): string {
  return hash('sha256', verifier, 'base64url');
}

/** The redirect back to the client, with `iss` on every answer (RFC 9207). */
function clientRedirect(redirectUri: string, params: Record<string, string | undefined>): string {
  const url = new URL(redirectUri);
  for (const [key, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(key, value);
  return url.toString();
}

export interface AuthorizeDeps {
  store: OAuthStore;
  forms: FormTokens;
  limits: AnonymousLimits;
  documents: ClientMetadataFetcher;
  eligibility: EligibilityChecker;
  endpoints: EndpointSource;
}

export async function authorizeRoutes(
  app: FastifyInstance,
  { store, forms, limits, documents, eligibility, endpoints }: AuthorizeDeps,
): Promise<void> {
  answerErrors(app, {
    // Only the checks made before the client is identified throw: their refusal is a page, since RFC 6749 §4.1.2.1
    // forbids redirecting to a redirect URI not yet verified.
    refusal: (error, request, reply) => {
      request.log.info({ reason: error.code }, 'authorization request refused before the client was identified');
      return errorPage(reply, error.status === 429 ? 429 : 400, 'This app cannot connect', error.description);
    },
    // A person is in the middle of connecting: when Nextcloud cannot be asked, say so on a page and keep everything
    // (the stored request, the consent page) for another try; nothing goes back to the client.
    unavailable: (failure, request, reply) => {
      request.log.warn({ err: failure.message }, 'authorization paused: Nextcloud could not be asked');
      return errorPage(
        reply.header('retry-after', String(failure.retryAfterSeconds)),
        503,
        'Nextcloud is not answering right now',
        `${failure.message} Reload this page in a moment to continue.`,
      );
    },
  });

  /** Checks that decide whether redirecting to the client is safe at all; failures get an error page. */
  const identifyClient = async (
    query: z.infer<typeof authorizeQuery>,
    policy: Policy,
    source: string,
  ): Promise<{ client: ClientRecord; redirectUri: string }> => {
    if (!query.client_id) throw new OAuthError('invalid_request', 'The request names no client_id.');
    // A metadata document seen for the first time is fetched and stored: for anyone, like a registration.
    const firstSight = clientKindOf(query.client_id) === 'document' && !store.getClient(query.client_id);
    if (firstSight && !limits.registrations.take(source)) {
      throw new OAuthError('temporarily_unavailable', 'Too many new apps were connected from your network; try again in a minute.', 429);
    }
    const client = await resolveClient(store, documents, query.client_id, policy);
    if (firstSight) store.capUnclaimedClients(limits.maxUnclaimedClients);
    let redirectUri = query.redirect_uri;
    if (!redirectUri) {
      if (client.redirectUris.length !== 1)
        throw new OAuthError('invalid_request', 'The request names no redirect_uri, and the client registered more than one.');
      redirectUri = client.redirectUris[0]!;
    }
    if (!client.redirectUris.some((registered) => redirectUriMatches(registered, redirectUri))) {
      throw new OAuthError('invalid_request', `The redirect_uri ${redirectUri.slice(0, 200)} is not one the client registered.`);
    }
    // Registered under an earlier, wider policy is not enough: the rules in force decide.
    const forbidden = redirectUriProblem(redirectUri, policy);
    if (forbidden) throw new OAuthError('invalid_request', `This app may not be used here: ${forbidden}.`);
    return { client, redirectUri };
  };

  /** Checks whose failures go back to the client as error redirects, so they are returned rather than thrown. */
  const validate = (
    query: z.infer<typeof authorizeQuery>,
    client: ClientRecord,
    redirectUri: string,
    policy: Policy,
    urls: PublicEndpoints,
  ): ValidRequest | OAuthError => {
    if (query.response_type !== 'code') return new OAuthError('unsupported_response_type', 'Only response_type=code is supported.');
    if (!query.code_challenge)
      return new OAuthError('invalid_request', 'PKCE is required: send code_challenge with code_challenge_method=S256.');
    if (query.code_challenge_method !== 'S256')
      return new OAuthError(
        'invalid_request',
        `code_challenge_method must be S256${query.code_challenge_method ? `, not ${query.code_challenge_method}` : ' (plain is not accepted)'}.`,
      );
    if (!/^[A-Za-z0-9_-]{43}$/.test(query.code_challenge))
      return new OAuthError('invalid_request', 'code_challenge must be the 43-character base64url SHA-256 of the code verifier.');
    const resource = matchResource(query.resource, urls);
    if (!resource) return new OAuthError('invalid_target', `This server is the resource ${urls.resource}; ${query.resource} is not.`);
    // A missing scope means "the default" (ChatGPT reconnects without one): everything the ceiling allows.
    const asked = query.scope === undefined || query.scope.trim() === '' ? [...policy.enabledScopes] : splitScopeString(query.scope);
    const ours = asked.filter(isScope);
    const scopes = ours.filter((scope) => policy.enabledScopes.includes(scope));
    if (scopes.length === 0) {
      const unknown = asked.filter((scope) => !isScope(scope) && scope !== OFFLINE_ACCESS);
      return new OAuthError(
        'invalid_scope',
        ours.length > 0
          ? `The administrator has not enabled ${formatScopes(ours)} on this Nextcloud.`
          : `None of the requested scopes is known here${unknown.length ? ` (${unknown.join(', ').slice(0, 200)})` : ''}; available: ${formatScopes(policy.enabledScopes)}.`,
      );
    }
    return { clientId: client.clientId, redirectUri, codeChallenge: query.code_challenge, scopes, state: query.state, resource };
  };

  const issueCode = (reply: FastifyReply, userId: string, request: ValidRequest, client: ClientRecord, scopes: Scope[], issuer: string) => {
    const grant = store.createGrant({
      userId,
      clientId: client.clientId,
      clientName: client.clientName,
      scopes,
      resource: request.resource,
      redirectUri: request.redirectUri,
    });
    const code = store.insertCode({
      grantId: grant.id,
      clientId: client.clientId,
      redirectUri: request.redirectUri,
      codeChallenge: request.codeChallenge,
      resource: request.resource,
      ttlSeconds: CODE_TTL_SECONDS,
    });
    return navigate(
      reply,
      `Returning to ${client.clientName}`,
      clientRedirect(request.redirectUri, { code, state: request.state, iss: issuer }),
      `Access granted. Returning to ${client.clientName}…`,
    );
  };

  /**
   * Sends an error back to the client: at once when the redirect URI is trusted (or the person just answered the
   * consent page, which named where it returns to); otherwise the error page, with a link the person may follow
   * (RFC 9700 §4.11.2: anyone can register a redirect URI, and an automatic error redirect would make this server
   * an open redirector for it).
   */
  const refuse = (
    reply: FastifyReply,
    request: { redirectUri: string; state?: string },
    error: OAuthError,
    { issuer, client, trusted }: { issuer: string; client: ClientRecord; trusted: () => boolean },
  ) => {
    const target = clientRedirect(request.redirectUri, {
      error: error.code,
      error_description: error.description,
      state: request.state,
      iss: issuer,
    });
    if (trusted()) return navigate(reply, `Returning to ${client.clientName}`, target, error.description);
    return errorPage(reply, 400, `${client.clientName} cannot connect`, error.description, {
      href: target,
      label: `Return to ${client.clientName} (${new URL(request.redirectUri).host})`,
    });
  };

  app.get('/oauth/authorize', async (request: FastifyRequest, reply) => {
    const resumed = resumeQuery.safeParse(request.query);
    const stored = resumed.success ? store.readPending(resumed.data.resume, NOT_SIGNED_IN) : undefined;
    if (resumed.success && !stored) {
      return errorPage(reply, 400, 'Sign-in link expired', 'Connecting the app took too long. Start connecting it again from the app.');
    }
    const query = authorizeQuery.safeParse(stored ? stored.request : request.query);
    if (!query.success)
      return errorPage(reply, 400, 'Invalid authorization request', 'A parameter of this request is too long or repeated.');
    const { policy, urls } = await endpoints.current(request);
    const source = sourceOf(request, endpoints.originTrusted(request));
    const { client, redirectUri } = await identifyClient(query.data, policy, source);
    const userId = request.appApi.userId;
    // Looked up only when an error is to be sent back.
    const answer = { issuer: urls.issuer, client, trusted: () => redirectTrusted(store, client, redirectUri, policy, userId) };
    const valid = validate(query.data, client, redirectUri, policy, urls);
    if (valid instanceof OAuthError) return refuse(reply, { redirectUri, state: query.data.state }, valid, answer);

    if (!userId) {
      if (query.data.prompt === 'none')
        return refuse(reply, valid, new OAuthError('login_required', 'No one is signed in to Nextcloud.'), answer);
      if (!stored && !limits.signIns.take(source)) {
        request.log.warn({ source }, 'authorization refused: too many sign-ins started from this address');
        return errorPage(
          reply.header('retry-after', '60'),
          429,
          'Too many sign-ins',
          'Too many sign-ins were started from your network. Wait a minute, then connect the app again.',
        );
      }
      const resume = stored?.id ?? store.insertPending(NOT_SIGNED_IN, query.data, PENDING_TTL_SECONDS);
      return navigate(
        reply,
        'Sign in to Nextcloud',
        urls.loginUrl(`${urls.authorize}?resume=${resume}`),
        `Sign in to Nextcloud to connect ${client.clientName}.`,
      );
    }
    const eligible = await eligibility.check(userId, policy);
    if (!eligible.ok) {
      request.log.info({ user: userId, client: client.clientId }, 'authorization refused: user not eligible');
      return refuse(
        reply,
        valid,
        new OAuthError('access_denied', `This Nextcloud does not allow ${userId} to connect apps: ${eligible.reason}.`),
        answer,
      );
    }

    // Consent is remembered per client, redirect URI and resource; asking for more than before asks again.
    const earlier = store
      .activeGrants(userId)
      .find(
        (grant) =>
          grant.clientId === client.clientId &&
          grant.redirectUri === valid.redirectUri &&
          grant.resource === valid.resource &&
          valid.scopes.every((scope) => grant.scopes.includes(scope)),
      );
    if (earlier && query.data.prompt !== 'consent') {
      request.log.info({ user: userId, client: client.clientId }, 'authorization: consent already given');
      return issueCode(reply, userId, valid, client, valid.scopes as Scope[], urls.issuer);
    }
    if (query.data.prompt === 'none')
      return refuse(reply, valid, new OAuthError('consent_required', 'The user has not consented yet.'), answer);

    const pendingId = store.insertPending(userId, valid, PENDING_TTL_SECONDS);
    const redirect = new URL(valid.redirectUri);
    return consentPage(reply, {
      userDisplayName: eligible.displayName,
      clientName: client.clientName,
      redirectHost: redirect.host,
      loopback: redirect.protocol === 'http:',
      scopes: valid.scopes,
      pendingId,
      formToken: forms.sign('consent', pendingId, userId),
      action: urls.authorize,
      connectionsUrl: urls.connections,
      refresh: client.grantTypes.includes('refresh_token'),
    });
  });

  const signedIn = signedInOnly((_request, reply) =>
    errorPage(reply, 401, 'Not signed in', 'Your Nextcloud session ended. Start connecting the app again.'),
  );

  app.post('/oauth/authorize', { preHandler: signedIn }, async (request, reply) => {
    const userId = request.appApi.userId;
    const form = consentForm.safeParse(request.body);
    if (!form.success) return errorPage(reply, 400, 'Invalid consent form', 'The form was incomplete. Start connecting the app again.');
    if (!forms.verify(form.data.form_token, 'consent', form.data.pending, userId)) {
      request.log.warn({ user: userId }, 'consent refused: form token does not match');
      return errorPage(reply, 403, 'Consent not accepted', 'This consent form was not issued to you. Start connecting the app again.');
    }
    // Read, and used up only once every check passed: a check that could not be made leaves the page answerable.
    const pending = store.readPending(form.data.pending, userId);
    const stored = pending && approvedRequest.safeParse(pending.request);
    const expired = () =>
      errorPage(reply, 400, 'Consent expired', 'This consent page has expired or was already answered. Start connecting the app again.');
    if (!stored?.success) return expired();
    const valid = stored.data;
    const { policy, urls } = await endpoints.current(request);
    // Asked before the page is used up (a denial needs no answer from Nextcloud).
    const eligible = form.data.decision === 'deny' ? null : await eligibility.check(userId, policy);
    if (!store.takePending(form.data.pending, userId)) return expired();
    const client = store.getClient(valid.clientId);
    if (!client) return errorPage(reply, 400, 'This app cannot connect', 'The app is no longer registered. Start connecting it again.');
    // The policy may have narrowed while the page was open.
    const forbidden = clientKindProblem(client.kind, policy) ?? redirectUriProblem(valid.redirectUri, policy);
    if (forbidden) return errorPage(reply, 400, 'This app cannot connect', forbidden);
    // The person has just seen where the app returns to and chose to go on: sending the answer there is theirs.
    const answer = { issuer: urls.issuer, client, trusted: () => true };
    if (!eligible) {
      request.log.info({ user: userId, client: client.clientId }, 'consent denied');
      return refuse(reply, valid, new OAuthError('access_denied', `${userId} denied access.`), answer);
    }
    const ticked = new Set(Array.isArray(form.data.scope) ? form.data.scope : form.data.scope ? [form.data.scope] : []);
    // The user may narrow what was asked, never widen it; the ceiling is applied again in case it changed.
    const scopes = valid.scopes.filter(
      (scope): scope is Scope => ticked.has(scope) && isScope(scope) && policy.enabledScopes.includes(scope),
    );
    if (scopes.length === 0) return refuse(reply, valid, new OAuthError('access_denied', `${userId} allowed no scope.`), answer);
    if (!eligible.ok) return refuse(reply, valid, new OAuthError('access_denied', eligible.reason), answer);
    request.log.info({ user: userId, client: client.clientId, scopes }, 'consent given');
    return issueCode(reply, userId, valid, client, scopes, urls.issuer);
  });
}
