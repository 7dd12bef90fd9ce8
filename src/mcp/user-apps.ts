// Which of the apps tools depend on (Notes, Deck) each user can use, asked of Nextcloud once a minute per user
// rather than on every tools/list: an admin enabling an app for a group shows within that minute.
import type { Nextcloud } from '../../lib/index.js';

export interface UserApps {
  /** The user's apps, or null when Nextcloud could not say (the caller decides what that means). */
  of(userId: string): Promise<ReadonlySet<string> | null>;
}

export function userApps(nextcloud: Nextcloud, options: { ttlMs?: number; maxUsers?: number; now?: () => number } = {}): UserApps {
  const ttlMs = options.ttlMs ?? 60_000;
  const maxUsers = options.maxUsers ?? 1024;
  const now = options.now ?? Date.now;
  const known = new Map<string, { at: number; apps: Promise<ReadonlySet<string> | null> }>();
  return {
    of(userId) {
      const entry = known.get(userId);
      if (entry && now() - entry.at < ttlMs) return entry.apps;
      const apps: Promise<ReadonlySet<string> | null> = nextcloud
        .as(userId)
        .apps()
        .catch(() => {
          // A failed lookup is not kept: the next request asks again (unless a newer lookup took its place).
          if (known.get(userId)?.apps === apps) known.delete(userId);
          return null;
        });
      known.delete(userId);
      known.set(userId, { at: now(), apps });
      if (known.size > maxUsers) known.delete(known.keys().next().value!);
      return apps;
    },
  };
}
