// What every search source gives back, and the bounds all of them keep.
import type { ReadScope, Scope } from '../../core/scopes.js';
import { READ_SCOPES } from '../../core/scopes.js';
import type { ToolContext } from '../tool.js';

/**
 * The tools whose content search and fetch show, per read scope. An admin who switched off any of them switched
 * that content off: search leaves the source out and fetch refuses its ids, as for a scope the grant lacks.
 */
const READ_TOOLS_OF: Readonly<Record<ReadScope, readonly string[]>> = {
  'files.read': ['files_read', 'files_search'],
  'calendar.read': ['calendar_get_event', 'calendar_list_events'],
  'talk.read': ['talk_read_messages', 'talk_search_messages'],
  'contacts.read': ['contacts_get', 'contacts_search'],
  'tasks.read': ['tasks_get', 'tasks_list'],
  'notes.read': ['notes_get', 'notes_search'],
  'deck.read': ['deck_get_card', 'deck_get_board'],
};

/** The read scopes whose content this call's search and fetch may show: in the grant, and not switched off. */
export function readableScopes(context: Pick<ToolContext, 'scopes' | 'policy'>): Scope[] {
  return READ_SCOPES.filter(
    (scope) => context.scopes.includes(scope) && !READ_TOOLS_OF[scope].some((tool) => context.policy.disabledTools.includes(tool)),
  );
}

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
