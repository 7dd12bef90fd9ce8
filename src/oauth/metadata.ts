// Discovery documents (RFC 9728 protected resource metadata, RFC 8414 / OpenID Connect discovery) and the JWKS.
// The issuer has a path (the proxy prefix), so clients reach the AS metadata at
// <issuer>/.well-known/openid-configuration, which must carry the OIDC-required fields (contract §1.3, §8).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { corsPreflight } from '../http/cors.js';
import { ADVERTISED_AUTH_METHODS } from './clients.js';
import type { ExternalVerifier } from './external-idp.js';
import type { SigningKeys } from './tokens.js';
import { OFFLINE_ACCESS } from '../core/scopes.js';
import type { EndpointSource, McpPath } from '../http/urls.js';
import { MCP_PATHS } from '../http/urls.js';

/** Discovery is read by browser-based clients (the MCP Inspector) too. */
const withCors = { config: { cors: true } };

export async function metadataRoutes(
  app: FastifyInstance,
  { endpoints, external, keys }: { endpoints: EndpointSource; external: ExternalVerifier | null; keys: SigningKeys },
): Promise<void> {
  corsPreflight(app, [
    '/.well-known/oauth-protected-resource',
    '/.well-known/oauth-protected-resource/mcp',
    '/.well-known/oauth-protected-resource/sse',
    '/.well-known/oauth-authorization-server',
    '/.well-known/openid-configuration',
    '/oauth/jwks',
    '/oauth/register',
    '/oauth/token',
    '/oauth/revoke',
  ]);

  // One document per MCP URL of the entrance the request came through: its resource is the URL the client called.
  const protectedResource = (path: McpPath) => async (request: FastifyRequest, reply: FastifyReply) => {
    const { policy, urls } = await endpoints.current(request);
    return reply.send({
      resource: urls.resourceOf(path),
      // External providers first: organisations that configure one want clients to use it.
      authorization_servers: [...(external?.issuers ?? []), urls.issuer],
      scopes_supported: policy.enabledScopes,
      bearer_methods_supported: ['header'],
      resource_name: 'Nextcloud',
      resource_documentation: urls.base,
    });
  };
  app.get('/.well-known/oauth-protected-resource', withCors, protectedResource('mcp'));
  for (const path of MCP_PATHS) app.get(`/.well-known/oauth-protected-resource/${path}`, withCors, protectedResource(path));

  const authorizationServer = async (request: FastifyRequest, reply: FastifyReply) => {
    const { policy, urls } = await endpoints.current(request);
    return reply.send({
      issuer: urls.issuer,
      authorization_endpoint: urls.authorize,
      token_endpoint: urls.token,
      ...(policy.dynamicRegistration ? { registration_endpoint: urls.register } : {}),
      revocation_endpoint: urls.revoke,
      jwks_uri: urls.jwks,
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      code_challenge_methods_supported: ['S256'],
      // Not client_secret_basic: Nextcloud core takes any Authorization: Basic for a login attempt before the
      // proxy runs, answers 401 itself and counts a failed login for the caller's address. It is still accepted
      // where it arrives (behind HaRP), but never offered.
      token_endpoint_auth_methods_supported: [...ADVERTISED_AUTH_METHODS],
      revocation_endpoint_auth_methods_supported: [...ADVERTISED_AUTH_METHODS],
      // offline_access only here (SEP-2207): Claude asks for it, and so gets a refresh token.
      scopes_supported: [...policy.enabledScopes, OFFLINE_ACCESS],
      client_id_metadata_document_supported: policy.clientMetadataDocuments,
      // Every redirect back to the client carries iss, errors included (RFC 9207).
      authorization_response_iss_parameter_supported: true,
      // Required by OpenID discovery parsers (the MCP SDK's among them); this server issues no ID tokens.
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['ES256'],
      service_documentation: urls.base,
    });
  };
  app.get('/.well-known/oauth-authorization-server', withCors, authorizationServer);
  app.get('/.well-known/openid-configuration', withCors, authorizationServer);

  app.get('/oauth/jwks', withCors, async (_request, reply) => reply.send({ keys: [keys.publicJwk] }));
}
