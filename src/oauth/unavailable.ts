// Failures that mean "Nextcloud could not be asked just now": the answer to them is "try again shortly", never a
// refusal, which would make a client drop a grant that is still good or show a person a wrong reason.
import { isNextcloudError } from '../../lib/index.js';
import { PolicyUnavailableError } from '../policy/policy.js';
import { AccountCheckUnavailableError } from './eligibility.js';

const PASSING = new Set(['timeout', 'unavailable', 'rate_limited']);

export function temporaryFailure(error: unknown): { message: string; retryAfterSeconds: number } | null {
  if (error instanceof AccountCheckUnavailableError) return { message: error.message, retryAfterSeconds: error.retryAfterSeconds };
  if (error instanceof PolicyUnavailableError) return { message: error.message, retryAfterSeconds: 5 };
  if (isNextcloudError(error) && PASSING.has(error.code)) return { message: error.message, retryAfterSeconds: 5 };
  return null;
}
