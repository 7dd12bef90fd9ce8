// The search sources for contacts, tasks, notes and Deck cards. Each asks Nextcloud the way its own tools do
// (contacts_search's CardDAV search, tasks_list's lists and text filter, notes_search itself, the boards
// deck_list_boards lists), so search finds nothing those tools would not show the caller. Notes and Deck are apps
// a Nextcloud may lack or enable only for some groups: for a user who cannot use them they contribute no results.
import type { DeckBoard, DeckStack } from '../../../lib/deck.js';
import { isNextcloudError } from '../../../lib/index.js';
import { NotesUnavailableError } from '../../../lib/notes.js';
import type { Task, TaskList } from '../../../lib/tasks.js';
import { notesSearch } from '../notes/search.js';
import { taskLists } from '../tasks/common.js';
import type { ToolContext } from '../tool.js';
import type { Hit, Source } from './hits.js';
import { PER_SOURCE, clip } from './hits.js';
import { formatId, webLinks } from './ids.js';

/** Boards whose cards are looked through, in Deck's order: a bound on the requests one search makes. */
export const MAX_BOARDS = 10;

export function contactsSource(context: ToolContext): Source {
  const links = webLinks(context.webRoot);
  return {
    scope: 'contacts.read',
    async find(term) {
      // Own and shared books, not the system book of all accounts: as Nextcloud's own contacts search.
      const found = await context.user.contacts.search(term, { limit: PER_SOURCE });
      return found.contacts.map((contact) => {
        const email = contact.emails[0]?.value;
        return {
          id: formatId({ kind: 'contact', addressBook: contact.addressBook, name: contact.name }),
          title: email ? `${contact.fullName} (${email})` : contact.fullName,
          url: links.contact(contact.uid, contact.addressBook),
        };
      });
    },
  };
}

/** Open tasks before done ones, then the soonest due. */
function taskOrder(a: Task, b: Task): number {
  const closed = Number(a.done || a.cancelled) - Number(b.done || b.cancelled);
  if (closed !== 0) return closed;
  return (a.due?.instant ?? Infinity) - (b.due?.instant ?? Infinity) || 0;
}

function taskTitle(task: Task, list: TaskList): string {
  const state = task.done ? 'completed' : task.cancelled ? 'cancelled' : task.due ? `due ${task.due.value}` : null;
  return `${task.summary ?? 'Untitled task'} (${[list.displayName || list.id, state].filter(Boolean).join(', ')})`;
}

/**
 * tasks_list's text filter (lib tasks' rule): the text in title, description, location or a category. Applied here to
 * lists read once per search, since that filter reads every task of a list for each term anyway.
 */
function taskMatches(task: Task, needle: string): boolean {
  return [task.summary, task.description, task.location, ...task.categories].some((value) => value?.toLowerCase().includes(needle));
}

export function tasksSource(context: ToolContext): Source {
  const links = webLinks(context.webRoot);
  let loaded: Promise<Array<{ task: Task; list: TaskList }>> | undefined;
  const load = () =>
    (loaded ??= (async () => {
      const tasks = context.user.tasks;
      // Deck boards appear as task lists too; their cards are found through Deck, with Deck's links.
      const lists = await taskLists(context.user);
      const perList = await Promise.all(
        lists.map(async (list) => (await tasks.tasks(list, { status: 'all' })).tasks.map((task) => ({ task, list }))),
      );
      return perList.flat().sort((a, b) => taskOrder(a.task, b.task));
    })());
  return {
    scope: 'tasks.read',
    async find(term) {
      const needle = term.toLowerCase();
      return (await load())
        .filter(({ task }) => taskMatches(task, needle))
        .slice(0, PER_SOURCE)
        .map(({ task, list }) => ({
          id: formatId({ kind: 'task', listId: list.id, name: task.name }),
          title: taskTitle(task, list),
          url: links.task(list.id, task.name),
        }));
    },
  };
}

export function notesSource(context: ToolContext): Source {
  const links = webLinks(context.webRoot);
  return {
    scope: 'notes.read',
    async find(term) {
      let found: Awaited<ReturnType<typeof notesSearch.run>>;
      try {
        // notes_search itself, with the folder allowlist and the hidden-tag rule it applies to every note.
        found = await notesSearch.run({ query: term, limit: PER_SOURCE }, context);
      } catch (error) {
        if (error instanceof NotesUnavailableError) return [];
        throw error;
      }
      return found.structured.notes.map((note) => ({
        id: formatId({ kind: 'note', noteId: note.id }),
        title: note.category ? `${note.title} (in ${note.category})` : note.title,
        url: links.note(note.id),
      }));
    },
  };
}

/** Deck answers 404 when it is not installed and 412 (read as forbidden) when it is not enabled for the user. */
/** Deck not installed (404) or not enabled for the user (412); a 403 is a real refusal and is reported. */
const deckMissing = (error: unknown) =>
  isNextcloudError(error, 'not_found') || (isNextcloudError(error, 'forbidden') && error.status === 412);

export function deckSource(context: ToolContext): Source {
  const links = webLinks(context.webRoot);
  // Boards and their cards are read once per search: a phrase that finds nothing is retried word by word.
  let loaded: Promise<Array<{ board: DeckBoard; stacks: DeckStack[] }>> | undefined;
  const load = () =>
    (loaded ??= (async () => {
      const deck = context.user.deck;
      let boards: DeckBoard[];
      try {
        boards = await deck.boards();
      } catch (error) {
        if (deckMissing(error)) return [];
        throw error;
      }
      const searched = boards.filter((board) => !board.archived).slice(0, MAX_BOARDS);
      return Promise.all(searched.map(async (board) => ({ board, stacks: await deck.stacks(board.id) })));
    })());
  return {
    scope: 'deck.read',
    async find(term) {
      const needle = term.toLowerCase();
      const hits: Hit[] = [];
      for (const { board, stacks } of await load()) {
        for (const stack of stacks) {
          for (const card of stack.cards) {
            if (!`${card.title}\n${card.description}`.toLowerCase().includes(needle)) continue;
            hits.push({
              id: formatId({ kind: 'card', boardId: board.id, cardId: card.id }),
              title: `${clip(card.title, 120)} (${board.title} » ${stack.title})`,
              url: links.card(card.id),
            });
          }
        }
      }
      return hits.slice(0, PER_SOURCE);
    },
  };
}
