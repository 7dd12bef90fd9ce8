// What every search source gives back, and the bounds all of them keep.
import type { Scope } from '../../core/scopes.js';

/** Every read scope: search and fetch are offered to a grant carrying any of them, and cover what it carries. */
export const READ_SCOPES = [
  'files.read',
  'calendar.read',
  'talk.read',
  'contacts.read',
  'tasks.read',
  'notes.read',
  'deck.read',
] as const satisfies readonly Scope[];

/** Results one source contributes at most. */
export const PER_SOURCE = 10;

export interface Hit {
  id: string;
  title: string;
  url: string;
}

export interface Source {
  scope: Scope;
  find(term: string): Promise<Hit[]>;
}

/** Text on one line, cut to `length` characters. */
export function clip(text: string, length: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > length ? `${flat.slice(0, length - 1)}…` : flat;
}
