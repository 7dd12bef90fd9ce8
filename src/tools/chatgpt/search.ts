// ChatGPT's `search` (deep research, company knowledge): one query over everything the grant may read, answered in
// the exact shape ChatGPT accepts. Each source runs only when the grant carries its read scope, and files and notes
// go through the folder allowlist and the hidden-tag rule like every other file access.
import { z } from 'zod';
import type { CalendarEvent, CalendarInfo } from '../../../lib/index.js';
import { isNextcloudError } from '../../../lib/index.js';
import { confinedFiles } from '../files/confined.js';
import { hiddenFiles } from '../files/hidden.js';
import type { ToolContext } from '../tool.js';
import { READS_ONLY, WELL_FORMED, defineTool } from '../tool.js';
import { describeOccurrence, eventIdFor, holdsEvents, timeText } from '../calendar/common.js';
import type { Occurrence } from '../../../lib/ical.js';
import { occurrencesIn, parseCalendar, textOf } from '../../../lib/ical.js';
import { contactsSource, deckSource, notesSource, tasksSource } from './app-sources.js';
import type { Hit, Source } from './hits.js';
import { READ_SCOPES } from '../../core/scopes.js';
import { PER_SOURCE, clip, readableScopes } from './hits.js';
import { formatId, webLinks } from './ids.js';

const MAX_RESULTS = 20;
const DAY = 86_400_000;
/** Events are looked for from a quarter back to a year ahead: what people ask about, without scanning all history. */
const EVENTS_FROM_DAYS = 90;
const EVENTS_TO_DAYS = 365;
/** When a phrase finds nothing, its longest words are tried one by one, at most this many. */
const MAX_WORDS = 3;

/**
 * The occurrence of a calendar object in the window that a person asking about it most likely means: the next
 * (or current) one whose title, place or description matches, else the latest past one. Null when none matches
 * or the object is not readable iCalendar.
 */
function nearestMatch(ics: string, needle: string, window: { start: number; end: number }, now: number): Occurrence | null {
  let occurrences: Occurrence[];
  try {
    occurrences = occurrencesIn(parseCalendar(ics), window, 'UTC').occurrences;
  } catch {
    return null;
  }
  // A changed occurrence may carry its own title or place, so each is matched by the VEVENT describing it.
  const matching = occurrences
    .filter((occurrence) =>
      ['summary', 'location', 'description'].some((name) => textOf(occurrence.event, name)?.toLowerCase().includes(needle)),
    )
    .sort((a, b) => a.start - b.start);
  return matching.find((occurrence) => occurrence.end > now) ?? matching.at(-1) ?? null;
}

function sources(context: ToolContext): Source[] {
  const links = webLinks(context.webRoot);
  const files: Source = {
    scope: 'files.read',
    async find(term) {
      const found = await confinedFiles(
        context.user.files,
        context.policy.folderAllowlist,
        () => hiddenFiles(context),
        context.userId,
      ).search({
        nameContains: term,
        limit: PER_SOURCE,
      });
      return found.map((entry) => {
        const folder = entry.path.slice(0, entry.path.lastIndexOf('/'));
        return {
          id: formatId({ kind: 'file', path: entry.path }),
          title: folder ? `${entry.name} (in ${folder})` : entry.name,
          url: links.file(entry.fileId, entry.path),
        };
      });
    },
  };
  // The events of the window are read once per search: a phrase that finds nothing is retried word by word, and
  // every word looks through the same events.
  let loaded:
    | Promise<{
        now: number;
        window: { start: number; end: number };
        perCalendar: Array<{ calendar: CalendarInfo; objects: CalendarEvent[] }>;
      }>
    | undefined;
  const loadEvents = () =>
    (loaded ??= (async () => {
      const client = context.user.calendar;
      const now = Date.now();
      const window = { start: now - EVENTS_FROM_DAYS * DAY, end: now + EVENTS_TO_DAYS * DAY };
      const calendars = (await client.calendars()).filter(holdsEvents);
      // A day wider on each side, as calendar_list_events asks: the server places all-day and floating events in
      // its own zone, the expansion below in UTC.
      const asked = { start: new Date(window.start - DAY), end: new Date(window.end + DAY) };
      const perCalendar = await Promise.all(
        calendars.map(async (calendar) => ({ calendar, objects: await client.events(calendar, asked) })),
      );
      return { now, window, perCalendar };
    })());
  const events: Source = {
    scope: 'calendar.read',
    async find(term) {
      const { now, window, perCalendar } = await loadEvents();
      const needle = term.toLowerCase();
      const hits: { hit: Hit; distance: number }[] = [];
      for (const { calendar, objects } of perCalendar) {
        // One object holds a series and its exceptions; it is one result, fetched whole.
        for (const object of new Map(objects.map((entry) => [entry.url, entry])).values()) {
          const occurrence = nearestMatch(object.ics, needle, window, now);
          if (!occurrence) continue;
          const described = describeOccurrence(occurrence, { id: eventIdFor(calendar, object.url), calendar, etag: object.etag });
          const when = `${timeText(described.start, described)}${described.allDay ? ', all day' : ''}`;
          hits.push({
            hit: {
              id: formatId({ kind: 'event', eventId: described.id }),
              title: `${described.summary ?? '(no title)'} (${when})`,
              url: links.calendar(),
            },
            distance: Math.abs(occurrence.start - now),
          });
        }
      }
      return hits
        .sort((a, b) => a.distance - b.distance)
        .slice(0, PER_SOURCE)
        .map(({ hit }) => hit);
    },
  };
  const talk: Source = {
    scope: 'talk.read',
    async find(term) {
      const found = await context.user.search('talk-message', { term, limit: PER_SOURCE });
      return found.entries.flatMap((entry) => {
        const token = entry.attributes.conversation;
        const messageId = Number(entry.attributes.messageId);
        if (!token || !Number.isInteger(messageId) || messageId <= 0) return [];
        return [
          {
            id: formatId({ kind: 'talk', token, messageId }),
            title: `${entry.title}: ${clip(entry.subline, 100)}`,
            url: links.talk(token, messageId),
          },
        ];
      });
    },
  };
  const readable = readableScopes(context);
  return [files, events, talk, contactsSource(context), tasksSource(context), notesSource(context), deckSource(context)].filter((source) =>
    readable.includes(source.scope),
  );
}

/** Failures that mean Nextcloud could not answer properly, not that the source does not exist for this user. */
const OUTAGE: ReadonlySet<string> = new Set(['protocol', 'timeout', 'unavailable', 'rate_limited']);

/**
 * Runs every source; one that does not exist for the user (Talk or the calendar app disabled) is left out instead of
 * failing the whole search, unless none could answer (Notes and Deck answer "nothing" themselves when the user
 * cannot use them). A source Nextcloud failed to answer fails the search: results
 * without it would read as "nothing there" when the person's data was simply not searched.
 */
async function runAll(active: Source[], term: string): Promise<Hit[][]> {
  const settled = await Promise.allSettled(active.map((source) => source.find(term)));
  const failures = settled.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as unknown] : []));
  const unexpected = failures.find((reason) => !isNextcloudError(reason));
  if (unexpected !== undefined) throw unexpected;
  const outage = failures.find((reason) => isNextcloudError(reason) && OUTAGE.has(reason.code));
  if (outage !== undefined) throw outage;
  if (failures.length > 0 && failures.length === settled.length) throw failures[0];
  return settled.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value : []));
}

/** Takes from each source in turn, so no source crowds out the others. */
function interleave(lists: Hit[][]): Hit[] {
  const merged: Hit[] = [];
  const seen = new Set<string>();
  for (let index = 0; merged.length < MAX_RESULTS && lists.some((list) => index < list.length); index++) {
    for (const list of lists) {
      const hit = list[index];
      if (!hit || seen.has(hit.id) || merged.length >= MAX_RESULTS) continue;
      seen.add(hit.id);
      merged.push(hit);
    }
  }
  return merged;
}

const resultSchema = z.object({
  id: z.string().describe('Pass to fetch to read the item.'),
  title: z.string(),
  url: z.string().describe('Where a person opens the item in Nextcloud.'),
});

export const search = defineTool({
  name: 'search',
  title: 'Search Nextcloud',
  description:
    "Searches the user's Nextcloud: file and folder names, calendar events (title, place, description; from three months ago to a year ahead), " +
    'Talk chat messages, contacts (name, email, phone, organisation), tasks (title, description, categories), notes of the Notes app ' +
    '(title, category, content) and Deck cards (title, description), as far as this connection may read them. ' +
    'Returns up to 20 results with ids; read one with fetch.',
  scopes: { anyOf: READ_SCOPES },
  input: z.object({
    query: z
      .string()
      .trim()
      .min(1)
      .max(500)
      .refine(...WELL_FORMED)
      .describe('What to look for: a name, a word or a short phrase, e.g. "roadmap" or "budget".'),
  }),
  output: z.object({ results: z.array(resultSchema) }),
  annotations: READS_ONLY,
  async run(input, context) {
    const active = sources(context);
    let lists = await runAll(active, input.query);
    if (lists.every((list) => list.length === 0)) {
      // Names and messages match by substring, so "Q3 roadmap" finds nothing where "roadmap" would.
      const words = [
        ...new Set(
          input.query
            .toLowerCase()
            .split(/[^\p{L}\p{N}]+/u)
            .filter((word) => word.length >= 3),
        ),
      ]
        .sort((a, b) => b.length - a.length)
        .slice(0, MAX_WORDS);
      if (words.length > 1 || (words.length === 1 && words[0] !== input.query.toLowerCase())) {
        const perWord = await Promise.all(words.map((word) => runAll(active, word)));
        lists = active.map((_, index) => perWord.flatMap((found) => found[index] ?? []));
      }
    }
    const structured = { results: interleave(lists) };
    return { structured, content: [{ type: 'text', text: JSON.stringify(structured) }] };
  },
});
