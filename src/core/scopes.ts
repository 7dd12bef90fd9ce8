// The soft scopes a grant can carry. They are this app's own: Nextcloud knows nothing of them, the app
// enforces them before any call is made as the user.
import { z } from 'zod';

export const SCOPES = [
  'files.read',
  'files.write',
  'calendar.read',
  'calendar.write',
  'talk.read',
  'talk.write',
  'contacts.read',
  'contacts.write',
  'tasks.read',
  'tasks.write',
  'notes.read',
  'notes.write',
  'deck.read',
  'deck.write',
] as const;
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
  'contacts.read': { consent: 'Read your address books and contacts', admin: 'Contacts: read (contacts.read)' },
  'contacts.write': {
    consent: 'Create, change and delete contacts in your address books',
    admin: 'Contacts: create, change, delete (contacts.write)',
  },
  'tasks.read': { consent: 'Read your task lists and tasks', admin: 'Tasks: read (tasks.read)' },
  'tasks.write': { consent: 'Create, complete, change and delete your tasks', admin: 'Tasks: create, change, delete (tasks.write)' },
  'notes.read': { consent: 'Read your notes', admin: 'Notes: read (notes.read)' },
  'notes.write': {
    consent: 'Create, change and delete your notes (deleted notes go to the trash bin)',
    admin: 'Notes: create, change, delete to trash (notes.write)',
  },
  'deck.read': { consent: 'Read your Deck boards, lists and cards', admin: 'Deck: read boards and cards (deck.read)' },
  'deck.write': {
    consent: 'Create, change, move, archive and delete cards on your Deck boards',
    admin: 'Deck: create, change, move, archive, delete cards (deck.write)',
  },
};

export const WRITE_SCOPES: ReadonlySet<Scope> = new Set(SCOPES.filter((scope) => scope.endsWith('.write')));

export type ReadScope = Extract<Scope, `${string}.read`>;
/** Every read scope, in catalogue order. */
export const READ_SCOPES: readonly ReadScope[] = SCOPES.filter((scope): scope is ReadScope => scope.endsWith('.read'));

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
