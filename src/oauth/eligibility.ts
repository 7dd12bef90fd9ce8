// Who may use the connector: an existing, enabled Nextcloud account, and (when the admin restricted it) a member
// of an eligible group. Checked when authorizing, when refreshing and on every MCP request; the account facts
// are cached for `ttlMs`, which bounds how long a disabled account or a group change takes to apply.
//
// "Disabled" and "gone" are decided only from an explicit answer. Nextcloud answers 401 alike for a disabled account,
// an unknown one, and one whose user backend (LDAP, ...) cannot be reached, so a 401 is followed by two questions
// an ExApp may ask: whether AppAPI accepts acting as the user (it checks only that the account exists, so a
// disabled account is accepted) and whether AppAPI's list of all accounts holds the id. Whatever stays ambiguous,
// and a Nextcloud that cannot be reached, is "unknown, retry" (AccountCheckUnavailableError), never "refused": a
// refusal makes clients throw their tokens away. Last known facts carry an outage for `staleMs`.
import type { Nextcloud } from '../../lib/index.js';
import { isInvalidArgumentError, isNextcloudError } from '../../lib/index.js';
import type { Policy } from '../policy/policy.js';

export type Eligibility = { ok: true; displayName: string } | { ok: false; reason: string };

/**
 * Nextcloud could not say whether the account may connect. Callers answer "try again later" (HTTP 503 with
 * Retry-After; for OAuth: temporarily_unavailable), never a refusal: the token or grant stays valid.
 */
export class AccountCheckUnavailableError extends Error {
  override readonly name = 'AccountCheckUnavailableError';
  readonly code = 'temporarily_unavailable';
  constructor(
    readonly userId: string,
    reason: string,
    readonly retryAfterSeconds: number,
    cause?: unknown,
  ) {
    super(
      `Nextcloud could not confirm the account ${userId} just now: ${reason} Try again in a moment.`,
      cause === undefined ? undefined : { cause },
    );
  }
}

/** What Nextcloud said about an active account when it was last asked. */
export interface AccountFacts {
  id: string;
  displayName: string;
  email: string | null;
  groups: readonly string[];
}

export interface EligibilityChecker {
  /** Throws AccountCheckUnavailableError when Nextcloud gave no usable answer. */
  check(userId: string, policy: Policy): Promise<Eligibility>;
  /** The facts the checks currently go by for an active account, without asking Nextcloud; undefined if none. */
  known(userId: string): AccountFacts | undefined;
}

type Account =
  | { state: 'active'; facts: AccountFacts; at: number; retryAfter?: number }
  | { state: 'disabled' | 'gone'; at: number; retryAfter?: number };

/** No answer: `reachable` when Nextcloud answered but the answer proves nothing (a 401 for an existing account). */
type Unknown = { state: 'unknown'; reason: string; reachable: boolean; cause?: unknown };

const RETRY_AFTER_SECONDS = 5;
/** After a failed lookup the last known facts are served this long before Nextcloud is asked again. */
const BACKOFF_MS = 2_000;
/**
 * How long last known facts carry an outage. While Nextcloud is down nothing can be done as the user anyway; the
 * facts only keep initialize, tools/list and sessions working. Bounded so an account changed during a long outage
 * does not keep its old standing for ever.
 */
const DEFAULT_STALE_MS = 15 * 60_000;

/** Answers that mean "Nextcloud will not act as this user", whatever the reason. */
const REFUSED = new Set(['unauthorized', 'forbidden', 'not_found']);

export function eligibilityChecker(
  nextcloud: Nextcloud,
  options: { ttlMs: number; staleMs?: number; now?: () => number },
): EligibilityChecker {
  const now = options.now ?? (() => Date.now());
  const staleMs = options.staleMs ?? DEFAULT_STALE_MS;
  const accounts = new Map<string, Account>();
  const pending = new Map<string, Promise<Account | Unknown>>();
  // Answers that prove nothing are remembered briefly too (never longer than facts are), so an outage of a user
  // backend does not turn every request of its users into three calls and a fetch of the whole user list.
  const quietMs = Math.min(options.ttlMs, BACKOFF_MS);
  const undecided = new Map<string, { error: AccountCheckUnavailableError; until: number }>();
  let userList: { ids: Promise<string[]>; at: number } | undefined;

  const unknown = (reason: string, reachable: boolean, cause?: unknown): Unknown => ({ state: 'unknown', reason, reachable, cause });
  const sentence = (error: unknown) => (error instanceof Error ? error.message : String(error));

  /** Confirmations share one fetch of the (unpaged) list of every account, for at most `quietMs`. */
  const allUserIds = (): Promise<string[]> => {
    if (userList && now() - userList.at <= quietMs) return userList.ids;
    const ids = nextcloud.system().userIds();
    const entry = { ids, at: now() };
    userList = entry;
    // A failed fetch is not shared beyond the callers already waiting for it.
    ids.catch(() => {
      if (userList === entry) userList = undefined;
    });
    return ids;
  };

  /** After Nextcloud refused to act as the user: disabled, gone, or (backend trouble) unknown. */
  const confirmRefusal = async (userId: string, refusal: { code: string; status?: number }): Promise<Account | Unknown> => {
    const at = now();
    try {
      // AppAPI accepts an existing account whether or not it is enabled; Nextcloud's session then refuses only a
      // disabled one, so "accepted" after a 401 is the explicit answer "disabled".
      if (await nextcloud.as(userId).appApiAccepts()) {
        if (refusal.code === 'unauthorized') return { state: 'disabled', at };
        return unknown(`Nextcloud refused to act as ${userId} (${refusal.status ?? refusal.code}) although the account exists.`, true);
      }
      if (!(await allUserIds()).includes(userId)) return { state: 'gone', at };
      return unknown(
        `Nextcloud lists the account ${userId} but cannot load it, as when its user backend (e.g. LDAP) is unreachable.`,
        true,
      );
    } catch (error) {
      if (!isNextcloudError(error)) throw error;
      return unknown(`Nextcloud refused to act as ${userId}, and asking why failed: ${sentence(error)}`, false, error);
    }
  };

  const lookup = async (userId: string): Promise<Account | Unknown> => {
    try {
      const user = await nextcloud.as(userId).currentUser();
      const facts: AccountFacts = Object.freeze({
        id: user.id,
        displayName: user.displayName,
        email: user.email,
        groups: Object.freeze([...user.groups]),
      });
      return { state: 'active', facts, at: now() };
    } catch (error) {
      // An id no Nextcloud account can have ("a/b", control characters) is an explicit answer: there is none.
      if (isInvalidArgumentError(error)) return { state: 'gone', at: now() };
      if (!isNextcloudError(error)) throw error;
      if (REFUSED.has(error.code)) return confirmRefusal(userId, error);
      return unknown(sentence(error), false, error);
    }
  };

  const account = async (userId: string): Promise<Account> => {
    const cached = accounts.get(userId);
    if (cached && (now() - cached.at < options.ttlMs || (cached.retryAfter ?? 0) > now())) return cached;
    const known = undecided.get(userId);
    if (known && known.until > now()) throw known.error;
    let inFlight = pending.get(userId);
    if (!inFlight) {
      inFlight = lookup(userId).finally(() => pending.delete(userId));
      pending.set(userId, inFlight);
    }
    const found = await inFlight;
    if (found.state !== 'unknown') {
      undecided.delete(userId);
      accounts.set(userId, found);
      if (accounts.size > 10_000) accounts.delete(accounts.keys().next().value!);
      return found;
    }
    // Nextcloud could not be asked: the last explicit answer stands for a while. An answer that came but proves
    // nothing (the account exists yet cannot be used) is not overruled by an older one: retry.
    const latest = accounts.get(userId);
    if (!found.reachable && latest && now() - latest.at <= staleMs) {
      latest.retryAfter = now() + BACKOFF_MS;
      return latest;
    }
    const error = new AccountCheckUnavailableError(userId, found.reason, RETRY_AFTER_SECONDS, found.cause);
    if (found.reachable && quietMs > 0) {
      undecided.set(userId, { error, until: now() + quietMs });
      if (undecided.size > 10_000) undecided.delete(undecided.keys().next().value!);
    }
    throw error;
  };

  return {
    async check(userId, policy) {
      const found = await account(userId);
      if (found.state !== 'active')
        return { ok: false, reason: `the Nextcloud account ${userId} ${found.state === 'disabled' ? 'is disabled' : 'does not exist'}` };
      if (policy.eligibleGroups.length > 0 && !found.facts.groups.some((group) => policy.eligibleGroups.includes(group))) {
        return { ok: false, reason: `${userId} is not in a group the administrator allowed to use this connector` };
      }
      return { ok: true, displayName: found.facts.displayName };
    },
    known(userId) {
      const found = accounts.get(userId);
      return found?.state === 'active' ? found.facts : undefined;
    },
  };
}
