// Who may use the connector: an existing, enabled Nextcloud account, and (when the admin restricted it) a member
// of an eligible group. Checked when authorizing, when refreshing and on every MCP request; the account facts
// are cached for `ttlMs`, which bounds how long a disabled account or a group change takes to apply.
import type { Nextcloud } from '../../lib/index.js';
import { isNextcloudError } from '../../lib/index.js';
import type { Policy } from '../policy/policy.js';

export type Eligibility = { ok: true; displayName: string } | { ok: false; reason: string };

export interface EligibilityChecker {
  check(userId: string, policy: Policy): Promise<Eligibility>;
}

interface Account {
  exists: boolean;
  displayName: string;
  groups: string[];
  at: number;
}

export function eligibilityChecker(nextcloud: Nextcloud, options: { ttlMs: number }): EligibilityChecker {
  const accounts = new Map<string, Account>();
  const pending = new Map<string, Promise<Account>>();

  const lookup = async (userId: string): Promise<Account> => {
    try {
      const user = await nextcloud.as(userId).currentUser();
      return { exists: true, displayName: user.displayName, groups: user.groups, at: Date.now() };
    } catch (error) {
      // Nextcloud refuses to act as an account that is disabled or gone; anything else (an outage) is not an answer.
      if (isNextcloudError(error) && (error.code === 'unauthorized' || error.code === 'not_found' || error.code === 'forbidden')) {
        return { exists: false, displayName: userId, groups: [], at: Date.now() };
      }
      throw error;
    }
  };

  const account = async (userId: string): Promise<Account> => {
    const cached = accounts.get(userId);
    if (cached && Date.now() - cached.at < options.ttlMs) return cached;
    let inFlight = pending.get(userId);
    if (!inFlight) {
      inFlight = lookup(userId).finally(() => pending.delete(userId));
      pending.set(userId, inFlight);
    }
    const fresh = await inFlight;
    accounts.set(userId, fresh);
    if (accounts.size > 10_000) accounts.delete(accounts.keys().next().value!);
    return fresh;
  };

  return {
    async check(userId, policy) {
      const found = await account(userId);
      if (!found.exists) return { ok: false, reason: `the Nextcloud account ${userId} is disabled or no longer exists` };
      if (policy.eligibleGroups.length > 0 && !found.groups.some((group) => policy.eligibleGroups.includes(group))) {
        return { ok: false, reason: `${userId} is not in a group the administrator allowed to use this connector` };
      }
      return { ok: true, displayName: found.displayName };
    },
  };
}
