// The OCS envelope. v1 answers HTTP 200 even for failures (statuscode != 100), v2 uses real status codes;
// both are unwrapped here and validated with the caller's schema.
import { z } from 'zod';
import type { NextcloudErrorCode } from './errors.js';
import { NextcloudError, codeForStatus, explain } from './errors.js';
import type { HttpClient, RequestOptions } from './http.js';
import { answerKind, readBody, unexpectedAnswer } from './http.js';
import { issuesText } from './zod-issues.js';

const envelope = z.object({
  ocs: z.object({
    meta: z.object({ status: z.string(), statuscode: z.coerce.number(), message: z.string().nullish() }),
    data: z.unknown(),
  }),
});

/** PHP serialises an empty associative array as []; normalise such maps to {}. */
export function phpMap<T extends z.ZodType>(value: T) {
  return z.union([
    z.record(z.string(), value),
    z
      .array(z.never())
      .length(0)
      .transform(() => ({}) as Record<string, z.infer<T>>),
  ]);
}

export async function ocsRequest<T extends z.ZodType>(
  http: HttpClient,
  method: string,
  path: string,
  schema: T,
  options: RequestOptions & { json?: unknown } = {},
): Promise<{ data: z.infer<T>; response: Response }> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  let body = options.body;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  }
  const response = await http.request(method, path, { ...options, headers, body });
  if (response.status === 204 || response.status === 304) {
    // No body by definition (Talk history exhausted, some DELETEs); the schema decides what "nothing" is.
    const empty = schema.safeParse(undefined);
    if (empty.success) return { data: empty.data, response };
    throw new NextcloudError({
      code: 'protocol',
      status: response.status,
      method,
      path,
      message: `${method} ${path} answered ${response.status} without the data it should carry.`,
    });
  }
  const text = await readBody(response, method, path);
  const type = response.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase() ?? '';
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const what =
      type === 'application/json'
        ? `${answerKind(response)} whose body is not JSON (malformed or cut off)`
        : `${answerKind(response)} instead of an OCS JSON envelope`;
    throw unexpectedAnswer(method, path, what, response.status, error);
  }
  const wrapped = envelope.safeParse(json);
  if (!wrapped.success) throw unexpectedAnswer(method, path, `${answerKind(response)} whose JSON is not an OCS envelope`, response.status);
  const parsed = wrapped.data;
  const { statuscode, message } = parsed.ocs.meta;
  if (!isOcsSuccess(path, statuscode)) {
    const code = codeForOcsStatus(statuscode);
    throw new NextcloudError({
      code,
      status: response.status,
      remoteMessage: message || undefined,
      method,
      path,
      message: `${method} ${path} as ${http.userId || 'the app'} failed (OCS ${statuscode}): ${explain(code)}.${message ? ` Nextcloud said: ${message}` : ''}`,
    });
  }
  const data = schema.safeParse(parsed.ocs.data);
  if (!data.success) {
    const issues = issuesText(data.error.issues);
    throw unexpectedAnswer(method, path, `data of an unexpected shape (${issues})`, response.status);
  }
  return { data: data.data, response };
}

/** v1 succeeds only with statuscode 100 (its HTTP status is 200 either way); v2 mirrors HTTP, so 2xx. */
export function isOcsSuccess(path: string, statuscode: number): boolean {
  if (path.startsWith('/ocs/v1.php/')) return statuscode === 100;
  return statuscode === 100 || (statuscode >= 200 && statuscode < 300);
}

/** OCS status codes as Nextcloud's OCS middleware maps them to HTTP (contract 6.2). */
export function codeForOcsStatus(statuscode: number): NextcloudErrorCode {
  if (statuscode === 997) return 'unauthorized';
  if (statuscode === 998) return 'not_found';
  if (statuscode === 996 || statuscode === 999) return 'unavailable';
  // App-specific small codes (provisioning 101-105, ...) are validation failures; v2 sends them as 400.
  if (statuscode < 200 || statuscode > 600) return 'bad_request';
  return codeForStatus(statuscode);
}
