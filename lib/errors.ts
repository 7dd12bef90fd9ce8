// Every failure of a Nextcloud call is a NextcloudError value with a code a caller can branch on and a
// message a person can act on. The app secret never appears in one.
export const nextcloudErrorCodes = [
  'not_found',
  'forbidden',
  'conflict',
  'precondition_failed',
  'locked',
  'quota_exceeded',
  'unauthorized',
  'bad_request',
  'too_large',
  'rate_limited',
  'unavailable',
  'timeout',
  'protocol',
] as const;
export type NextcloudErrorCode = (typeof nextcloudErrorCodes)[number];

export interface NextcloudErrorDetails {
  code: NextcloudErrorCode;
  message: string;
  status?: number;
  /** What Nextcloud itself said (sabre s:message or OCS meta.message). */
  remoteMessage?: string;
  method?: string;
  path?: string;
  cause?: unknown;
}

export class NextcloudError extends Error {
  override readonly name = 'NextcloudError';
  readonly code: NextcloudErrorCode;
  readonly status: number | undefined;
  readonly remoteMessage: string | undefined;
  readonly method: string | undefined;
  readonly path: string | undefined;

  constructor(details: NextcloudErrorDetails) {
    super(details.message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = details.code;
    this.status = details.status;
    this.remoteMessage = details.remoteMessage;
    this.method = details.method;
    this.path = details.path;
  }
}

/**
 * The same failure in words the user can act on: code, status, method and path stay, Nextcloud's own message
 * is appended, and the original error becomes the cause.
 */
export function reworded(error: NextcloudError, message: string): NextcloudError {
  return new NextcloudError({
    code: error.code,
    status: error.status,
    remoteMessage: error.remoteMessage,
    method: error.method,
    path: error.path,
    message: `${message}${error.remoteMessage ? ` Nextcloud said: ${error.remoteMessage}` : ''}`,
    cause: error,
  });
}

/**
 * A call refused before anything was sent, because an argument cannot be right (a path with ".." or with broken
 * Unicode, a malformed token or URL). The message is meant for whoever supplied the argument. It is a TypeError for
 * callers that catch those, but callers should test for this class: a TypeError of any other origin is a bug.
 */
export class InvalidArgumentError extends TypeError {
  override readonly name = 'InvalidArgumentError';
  readonly code = 'invalid_input';
}

export function isInvalidArgumentError(error: unknown): error is InvalidArgumentError {
  return error instanceof InvalidArgumentError;
}

// A UTF-16 surrogate that is not half of a pair: with the u flag, paired surrogates are one code point and do not match.
const LONE_SURROGATE = /\p{Cs}/u;

/** String.prototype.isWellFormed, for targets whose library types predate it. */
export function isWellFormedText(value: string): boolean {
  return !LONE_SURROGATE.test(value);
}

/** The string with each lone surrogate replaced by U+FFFD, safe to put into a message. */
export function printable(value: string): string {
  return value.replace(/\p{Cs}/gu, '\uFFFD');
}

/** Refuses a string that is not well-formed Unicode (a lone surrogate), which no URL or XML body can carry. */
export function wellFormed(value: string, what: string): string {
  if (!isWellFormedText(value))
    throw new InvalidArgumentError(`${what} contains a broken character (a lone UTF-16 surrogate); send it as valid Unicode text.`);
  return value;
}

export function isNextcloudError(error: unknown, code?: NextcloudErrorCode): error is NextcloudError {
  return error instanceof NextcloudError && (code === undefined || error.code === code);
}

export function codeForStatus(status: number): NextcloudErrorCode {
  switch (status) {
    case 400:
      return 'bad_request';
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 405:
    case 409:
      return 'conflict';
    case 412:
      return 'precondition_failed';
    case 413:
      return 'too_large';
    case 415: // content Nextcloud will not store (invalid iCalendar, antivirus)
    case 416: // a byte range outside the file
    case 501: // a method this resource does not support (GET on a folder), not an outage
      return 'bad_request';
    case 423:
      return 'locked';
    case 429:
      return 'rate_limited';
    case 507:
      return 'quota_exceeded';
    default:
      return status >= 500 ? 'unavailable' : 'protocol';
  }
}

const explanations: Record<NextcloudErrorCode, string> = {
  not_found: 'it does not exist or is not visible to this user',
  forbidden: 'this user is not allowed to do that',
  conflict: 'it conflicts with what is there (a missing parent folder, or it exists already)',
  precondition_failed: 'it changed since it was read (stale ETag) or the target exists',
  locked: 'it is locked by another process; try again later',
  quota_exceeded: "the user's storage quota is full",
  unauthorized: "Nextcloud did not accept the app's credentials for this user (unknown or disabled user, or wrong app secret)",
  bad_request: 'Nextcloud rejected the request as invalid',
  too_large: 'it is too large for Nextcloud to accept',
  rate_limited: 'Nextcloud is throttling requests; try again later',
  unavailable: 'Nextcloud is unavailable right now',
  timeout: 'Nextcloud did not answer in time',
  protocol: 'Nextcloud answered in an unexpected way',
};

export function explain(code: NextcloudErrorCode): string {
  return explanations[code];
}
