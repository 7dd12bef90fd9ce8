// MCP_GATEWAY_TRUSTED_ISSUERS: the external OpenID providers the admin trusts, and how their tokens map to a
// Nextcloud user and to scopes. Read by the configuration at start-up and by the verifier of their tokens
// (oauth/external-idp.ts).
import { z } from 'zod';
import { scopeSchema } from './scopes.js';
import { isLoopbackHttp } from './loopback.js';
import { issueText } from '../../lib/zod-issues.js';

/** Asymmetric only: a provider publishes public keys, and an HMAC "key set" would be a shared secret in the open. */
export const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const;
const HTTPS_RULE = 'must be an https URL (http only for 127.0.0.1, localhost or ::1)';

/** https anywhere; plain http only on this machine, for development and tests. */
export function isSecureUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  if (url.username || url.password || url.hash) return false;
  return url.protocol === 'https:' || isLoopbackHttp(url);
}

/** An issuer identifier has no query or fragment (RFC 8414 §2); it is compared byte for byte, never normalised. */
function isIssuerUrl(value: string): boolean {
  return isSecureUrl(value) && !value.includes('?') && !value.includes('#');
}

const USER_CLAIM_RULE =
  'is required: the name of the claim holding the Nextcloud user id, one users cannot change themselves (e.g. "sub" where the provider\'s subject is the Nextcloud user id, or a claim mapped from a directory attribute); "preferred_username" is editable by users in many providers';
const secureUrl = z.string({ error: HTTPS_RULE }).refine(isSecureUrl, { error: HTTPS_RULE });
const nonEmpty = (what: string) => z.string({ error: `must be ${what}` }).min(1, { error: `must be ${what}` });

export const trustedIssuerSchema = z.strictObject({
  issuer: z
    .string({ error: 'is required: the provider\'s issuer URL, exactly as it appears in its tokens\' "iss"' })
    .refine(isIssuerUrl, { error: `${HTTPS_RULE}, without query or fragment` }),
  audience: z
    .union([nonEmpty('a non-empty string'), z.array(nonEmpty('a non-empty string')).min(1, { error: 'must not be an empty list' })], {
      error: 'must be a string or a list of strings',
    })
    .optional(),
  jwksUri: secureUrl.optional(),
  // No default: the usual one, preferred_username, is a name many providers let users change themselves, and whoever
  // sets it to another person's user id would act as that person here.
  userClaim: z.string({ error: USER_CLAIM_RULE }).min(1, { error: USER_CLAIM_RULE }),
  scopeClaim: nonEmpty('the name of the claim holding the scopes').default('scope'),
  scopeMap: z.record(z.string(), z.array(scopeSchema), { error: 'must map provider scopes to lists of MCP Gateway scopes' }).default({}),
  algorithms: z
    .array(z.enum(ALGORITHMS, { error: `must list only ${ALGORITHMS.join(', ')}` }))
    .min(1, { error: 'must list at least one algorithm' })
    .default(['RS256', 'ES256', 'PS256', 'EdDSA']),
  clockToleranceSeconds: z
    .number({ error: 'must be a number of seconds' })
    .int({ error: 'must be a whole number of seconds' })
    .min(0, { error: 'must not be negative' })
    .max(300, { error: 'must be at most 300 seconds' })
    .default(30),
  introspection: z
    .strictObject(
      {
        endpoint: secureUrl,
        clientId: nonEmpty('the client id registered at the provider'),
        clientSecret: nonEmpty('the client secret registered at the provider'),
      },
      { error: 'must be an object with endpoint, clientId and clientSecret' },
    )
    .optional(),
});

export type TrustedIssuer = z.infer<typeof trustedIssuerSchema>;

/** Parses MCP_GATEWAY_TRUSTED_ISSUERS. Messages continue the variable's name ("MCP_GATEWAY_TRUSTED_ISSUERS ..."). */
export function parseTrustedIssuers(json: string): TrustedIssuer[] {
  if (json.trim() === '') return [];
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new Error(`is not valid JSON (${(error as Error).message})`, { cause: error });
  }
  if (!Array.isArray(value))
    throw new Error(
      'must be a JSON array of issuer objects, e.g. [{"issuer": "https://sso.example.com/realms/staff", "userClaim": "sub"}]',
    );
  const problems: string[] = [];
  const issuers: TrustedIssuer[] = [];
  value.forEach((entry: unknown, index) => {
    const parsed = trustedIssuerSchema.safeParse(entry, { error: readableIssue });
    const name = `entry ${index + 1}${describeEntry(entry)}`;
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problems.push(`${name}: ${issueText(issue, { field: (path) => `field "${path}"` })}`);
    } else if (issuers.some((known) => known.issuer === parsed.data.issuer)) {
      problems.push(`${name}: the issuer is listed twice`);
    } else {
      issuers.push(parsed.data);
    }
  });
  if (problems.length > 0) throw new Error(`has invalid entries: ${problems.join('; ')}`);
  return issuers;
}

/** Words for the zod issues whose default message is not one (never echoing values: they may be secrets). */
function readableIssue(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code === 'invalid_value') return `must be one of ${issue.values.map(String).join(', ')}`;
  if (issue.code === 'unrecognized_keys')
    return `has unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => `"${key}"`).join(', ')}`;
  if (issue.code === 'invalid_type' && issue.expected === 'object') return 'must be an object like {"issuer": "https://sso.example.com"}';
  return undefined;
}

function describeEntry(entry: unknown): string {
  const issuer = typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>).issuer : undefined;
  return typeof issuer === 'string' ? ` (${JSON.stringify(issuer)})` : '';
}
