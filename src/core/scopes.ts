// The soft scopes a grant can carry. They are this app's own: Nextcloud knows nothing of them, the app
// enforces them before any call is made as the user.
import { z } from 'zod';

export const SCOPES = ['files.read', 'files.write', 'calendar.read', 'calendar.write', 'talk.read', 'talk.write'] as const;
export const scopeSchema = z.enum(SCOPES);
export type Scope = z.infer<typeof scopeSchema>;

/** Asked for by clients that want a refresh token; never a permission of its own. */
export const OFFLINE_ACCESS = 'offline_access';

/**
 * How each scope is put to people: on the consent page, to the person who grants it (what the app may do with
 * their Nextcloud); in the admin's settings, as the capability the admin allows.
 */
export const SCOPE_WORDING: Readonly<Record<Scope, { consent: string; admin: string }>> = {
  'files.read': { consent: 'Read your files and folders', admin: 'Files: read (files.read)' },
  'files.write': {
    consent: 'Create, change, move and delete your files (deleted files go to the trash bin)',
    admin: 'Files: create, change, move, delete to trash (files.write)',
  },
  'calendar.read': { consent: 'Read your calendars and events', admin: 'Calendar: read (calendar.read)' },
  'calendar.write': {
    consent: 'Create, change and delete events in your calendars',
    admin: 'Calendar: create, change, delete events (calendar.write)',
  },
  'talk.read': { consent: 'Read your Talk conversations (without marking them read)', admin: 'Talk: read conversations (talk.read)' },
  'talk.write': { consent: 'Send Talk messages as you', admin: 'Talk: send messages (talk.write)' },
};

export const WRITE_SCOPES: ReadonlySet<Scope> = new Set(SCOPES.filter((scope) => scope.endsWith('.write')));

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/** Splits an OAuth scope string (space-separated, RFC 6749 §3.3) into distinct tokens. */
export function splitScopeString(value: string | undefined | null): string[] {
  return [...new Set((value ?? '').split(' ').filter(Boolean))];
}

/** Our scopes in a stable order, as one OAuth scope string. */
export function formatScopes(scopes: Iterable<string>): string {
  const given = new Set(scopes);
  const ordered = [...SCOPES.filter((scope) => given.has(scope)), ...[...given].filter((scope) => !isScope(scope)).sort()];
  return ordered.join(' ');
}
