// A Nextcloud client that acts as a user through AppAPI's impersonation. It knows nothing about MCP or OAuth.
import type { KeyValueStore, SettingsForms } from './appapi/calls.js';
import { keyValueStore, logToNextcloud, setInitProgress, settingsForms } from './appapi/calls.js';
import { navigationApps } from './apps.js';
import type { CalendarClient } from './calendar.js';
import { calendarClient } from './calendar.js';
import type { ContactsClient } from './contacts.js';
import { contactsClient } from './contacts.js';
import type { DeckClient } from './deck.js';
import { deckClient } from './deck.js';
import type { NotesClient } from './notes.js';
import { notesClient } from './notes.js';
import type { SystemTagsClient } from './system-tags.js';
import { systemTagsClient } from './system-tags.js';
import type { TasksClient } from './tasks.js';
import { tasksClient } from './tasks.js';
import type { TrashClient } from './trash.js';
import { trashClient } from './trash.js';
import type { VersionsClient } from './versions.js';
import { versionsClient } from './versions.js';
import type { FilesClient } from './files.js';
import { filesClient } from './files.js';
import type { NextcloudClientOptions } from './http.js';
import { Reachability, createHttpClient } from './http.js';
import { InvalidArgumentError, isWellFormedText, printable } from './errors.js';
import type { SearchProvider, SearchQuery, SearchResult } from './search.js';
import { search, searchProviders } from './search.js';
import type { TalkClient } from './talk.js';
import { talkClient } from './talk.js';
import type { Capabilities, NextcloudUser } from './users.js';
import { allUserIds, appApiAcceptsUser, capabilities, currentUser, groupsOf } from './users.js';

export type { NextcloudClientOptions } from './http.js';
export {
  InvalidArgumentError,
  NextcloudError,
  isInvalidArgumentError,
  isNextcloudError,
  isWellFormedText,
  nextcloudErrorCodes,
  printable,
  reworded,
} from './errors.js';
export { withSingleTimeout } from './http.js';
export type { NextcloudErrorCode } from './errors.js';
export type { CalendarClient, CalendarEvent, CalendarInfo } from './calendar.js';
export type { FilesClient, ReadResult } from './files.js';
export type { FileEntry, Permissions } from './file-entries.js';
export type { FileQuery } from './file-search.js';
export { normalizePath } from './file-paths.js';
export { parsePermissions } from './file-entries.js';
export type { SearchEntry, SearchProvider, SearchQuery, SearchResult } from './search.js';
export type { TalkClient, TalkConversation, TalkMessage } from './talk.js';
export type { ContactsClient } from './contacts.js';
export type { TasksClient } from './tasks.js';
export type { NotesClient } from './notes.js';
export type { DeckClient } from './deck.js';
export type { SystemTagsClient } from './system-tags.js';
export type { VersionsClient } from './versions.js';
export type { TrashClient } from './trash.js';
export { TALK_TOKEN } from './talk.js';
export type { Capabilities, NextcloudUser } from './users.js';
export type { KeyValueStore, SettingsForms } from './appapi/calls.js';

export interface NextcloudUserClient {
  readonly userId: string;
  currentUser(): Promise<NextcloudUser>;
  groups(): Promise<string[]>;
  /** Whether AppAPI accepts acting as this user at all: the account exists, enabled or not. */
  appApiAccepts(): Promise<boolean>;
  capabilities(): Promise<Capabilities>;
  searchProviders(): Promise<SearchProvider[]>;
  search(providerId: string, query: SearchQuery): Promise<SearchResult>;
  /** The ids of the apps the user can use (their navigation): per user, unlike capabilities. */
  apps(): Promise<ReadonlySet<string>>;
  /** This app's preferences of this user (AppAPI). */
  preferences: KeyValueStore;
  files: FilesClient;
  calendar: CalendarClient;
  talk: TalkClient;
  contacts: ContactsClient;
  tasks: TasksClient;
  notes: NotesClient;
  deck: DeckClient;
  tags: SystemTagsClient;
  versions: VersionsClient;
  trash: TrashClient;
}

export interface NextcloudSystemClient {
  setInitProgress(progress: number, error?: string, options?: { timeoutMs?: number }): Promise<void>;
  capabilities(): Promise<Capabilities>;
  /** Every account id Nextcloud knows (AppAPI's user list; not paged, for rare checks). */
  userIds(): Promise<string[]>;
  /** This app's config values (admin settings land here). */
  config: KeyValueStore;
  settings: SettingsForms;
  log(level: 0 | 1 | 2 | 3 | 4, message: string): Promise<void>;
}

export interface Nextcloud {
  as(userId: string): NextcloudUserClient;
  system(): NextcloudSystemClient;
}

export interface NextcloudOptions extends NextcloudClientOptions {
  /**
   * How long (ms) a user's calendar list is reused before it is read again; 0 (the default) reads it on every call.
   * Each user's client keeps its own list, so one user's calendars never answer another's call.
   */
  calendarListTtlMs?: number;
}

/** How many users' clients a Nextcloud keeps (see `as`). */
const RECENT_USERS = 256;

export function createNextcloud(options: NextcloudOptions): Nextcloud {
  const timeoutMs = options.timeoutMs ?? 30_000;
  // A user's client remembers what it learned (where the CalDAV home is, the calendar list for a while) and holds
  // its WebDAV and CalDAV clients. Callers ask for the same few users again and again, once per tool call, so the
  // most recently used ones are kept instead of being rebuilt every time; this also bounds the cached calendar lists.
  const recent = new Map<string, NextcloudUserClient>();
  // One Nextcloud, one view of whether it answers, whichever user a call is made for.
  const reachability = new Reachability();
  const userClient = (userId: string): NextcloudUserClient => {
    const http = createHttpClient(options, userId, reachability);
    return {
      userId,
      currentUser: () => currentUser(http),
      groups: () => groupsOf(http, userId),
      appApiAccepts: () => appApiAcceptsUser(http),
      capabilities: () => capabilities(http),
      searchProviders: () => searchProviders(http),
      search: (providerId, query) => search(http, providerId, query),
      apps: () => navigationApps(http),
      preferences: keyValueStore(http, 'preference'),
      files: filesClient(http, timeoutMs),
      calendar: calendarClient(http, timeoutMs, { listTtlMs: options.calendarListTtlMs }),
      talk: talkClient(http),
      contacts: contactsClient(http, timeoutMs),
      tasks: tasksClient(http, timeoutMs),
      notes: notesClient(http, timeoutMs),
      deck: deckClient(http, timeoutMs),
      tags: systemTagsClient(http, timeoutMs),
      versions: versionsClient(http, timeoutMs),
      trash: trashClient(http, timeoutMs),
    };
  };
  return {
    as(userId) {
      if (!userId) throw new InvalidArgumentError('Acting as a user needs a user id; use system() for the app itself.');
      // The id goes into "<user>:<secret>" and into DAV paths; Nextcloud user ids never hold these characters.
      if (/[:/\\\u0000-\u001f]/.test(userId) || !isWellFormedText(userId))
        throw new InvalidArgumentError(`"${printable(userId)}" is not a Nextcloud user id.`);
      const known = recent.get(userId);
      if (known) {
        recent.delete(userId);
        recent.set(userId, known);
        return known;
      }
      const created = userClient(userId);
      recent.set(userId, created);
      if (recent.size > RECENT_USERS) recent.delete(recent.keys().next().value!);
      return created;
    },
    system() {
      const http = createHttpClient(options, '', reachability);
      return {
        setInitProgress: (progress, error, callOptions) => setInitProgress(http, progress, error, callOptions),
        capabilities: () => capabilities(http),
        userIds: () => allUserIds(http),
        config: keyValueStore(http, 'config'),
        settings: settingsForms(http),
        log: (level, message) => logToNextcloud(http, level, message),
      };
    },
  };
}

export function nextcloudAs(options: NextcloudOptions, userId: string): NextcloudUserClient {
  return createNextcloud(options).as(userId);
}
