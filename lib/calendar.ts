// Calendars of the acting user over CalDAV. Nextcloud's calendar home is /remote.php/dav/calendars/<user id>/
// (contract 2.2), so it is addressed directly; tsdav's discovery (current-user-principal, then calendar-home-set)
// runs only when that address answers 404 or not as a calendar home does. tsdav writes the calendar objects; the
// calendar list is read with one PROPFIND of our own because Nextcloud's sharing and trash properties
// (oc:read-only, ncc:deleted-at, oc:owner-principal) live in namespaces tsdav's parser flattens away.
import { createAccount, createCalendarObject, deleteCalendarObject, updateCalendarObject } from 'tsdav';
import {
  InvalidArgumentError,
  NextcloudError,
  codeForStatus,
  explain,
  isNextcloudError,
  printable,
  reworded,
  wellFormed,
} from './errors.js';
import type { HttpClient } from './http.js';
import { answerKind, errorFromResponse, readBody, unexpectedAnswer } from './http.js';
import type { XmlNode } from './dav-xml.js';
import { NS, child, children, hrefName, parseMultistatus, readMultistatus, text } from './dav-xml.js';

export interface CalendarInfo {
  /** Absolute URL of the calendar collection. */
  url: string;
  /** The collection name, e.g. personal or team_shared_by_alice. */
  id: string;
  displayName: string;
  readOnly: boolean;
  components: string[];
  ownerPrincipal: string | null;
  color: string | null;
  /** The place the person gave the calendar among theirs (x1:calendar-order); null when none was set. */
  order: number | null;
}

/** One calendar object as stored (an event, a series with its changed occurrences); read it with ical.ts. */
export interface CalendarEvent {
  url: string;
  etag: string | null;
  ics: string;
}

const LIST_BODY = `<?xml version="1.0" encoding="UTF-8"?>
<d:propfind xmlns:d="DAV:" xmlns:c="${NS.cal}" xmlns:cs="${NS.cs}" xmlns:oc="${NS.oc}" xmlns:ncc="${NS.ncc}" xmlns:x1="http://apple.com/ns/ical/">
<d:prop><d:resourcetype/><d:displayname/><c:supported-calendar-component-set/><d:current-user-privilege-set/>
<oc:owner-principal/><oc:read-only/><ncc:deleted-at/><x1:calendar-color/><x1:calendar-order/></d:prop></d:propfind>`;

export interface CalendarClient {
  /** The user's calendars; within `listTtlMs` of the last reading the same list again (copied), without a request. */
  calendars(): Promise<CalendarInfo[]>;
  events(calendar: string | CalendarInfo, range: { start: Date; end: Date; expand?: boolean }): Promise<CalendarEvent[]>;
  getEvent(url: string): Promise<CalendarEvent>;
  createEvent(calendar: string | CalendarInfo, ics: string, options?: { fileName?: string }): Promise<{ url: string; etag: string | null }>;
  updateEvent(url: string, ics: string, etag: string): Promise<{ etag: string | null }>;
  deleteEvent(url: string, etag?: string): Promise<void>;
}

/** A URL path segment as text; one with a stray % (written by another client) stays as it is. */
function basicUtc(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

/**
 * Whether a calendar object holds an event. Only this is checked here, on the text: what the event says is read
 * with the iCalendar model (ical.ts) by whoever uses it, and an object that model cannot parse still reaches its
 * caller, who can say which event it is.
 */
const holdsEvent = (ics: string) => /^BEGIN:VEVENT\r?$/m.test(ics.replace(/\r?\n[ \t]/g, ''));

export interface CalendarClientOptions {
  /**
   * How long (ms) calendars() answers with the list it read last instead of asking again; 0 (the default) asks every
   * time. The list belongs to this client, so to one user; a calendar request Nextcloud refuses with 404 or 403
   * drops it at once (a calendar gone, a share changed).
   */
  listTtlMs?: number;
}

export function calendarClient(http: HttpClient, timeoutMs = 30_000, options: CalendarClientOptions = {}): CalendarClient {
  const listTtlMs = Math.max(0, options.listTtlMs ?? 0);
  // tsdav's discovery starts at the host's /.well-known/caldav (outside Nextcloud when it is installed under a
  // path), follows a redirect to any host, and falls back to the host root; each of those requests would carry
  // the app secret, which lets its holder act as every user. So tsdav may only reach this Nextcloud.
  const nextcloudRoot = new URL(`${http.baseUrl}/`).href;
  const pinnedFetch = ((input: string | URL | Request, init?: RequestInit) => {
    const target = new URL(input instanceof Request ? input.url : String(input));
    if (!target.href.startsWith(nextcloudRoot))
      return Promise.reject(
        new InvalidArgumentError(`CalDAV request to ${target.origin}${target.pathname} refused: it is outside ${nextcloudRoot}`),
      );
    // During discovery every request also shares one deadline: tsdav tries up to four URLs one after the other,
    // and each on its own timeout would let a silent Nextcloud hold a call for four times as long.
    const signal =
      discoveryDeadline && init?.signal ? AbortSignal.any([discoveryDeadline, init.signal]) : (discoveryDeadline ?? init?.signal);
    const discovering = discoveryDeadline !== undefined;
    return http.fetch(input, signal ? { ...init, signal } : init).then(
      async (response) => {
        if (!target.href.startsWith(davRoot)) return response;
        if (response.status >= 400) refusedWith = response.status;
        // tsdav reads a page or a cut-off answer as "no principal found"; what was actually wrong is kept for the message.
        else if (discovering && response.status < 300)
          oddAnswer ??= await discoveryProblem(response, (init?.method ?? 'GET').toUpperCase(), target.pathname);
        return response;
      },
      (error: unknown) => {
        // tsdav may swallow a failed request and go on guessing; the failure is what discovery ends with.
        if (discovering && error instanceof NextcloudError) unreachable ??= error;
        throw error;
      },
    );
  }) as typeof fetch;
  /** What is wrong with a DAV answer during discovery (a copy is read, tsdav reads the original), or undefined. */
  const discoveryProblem = async (response: Response, method: string, path: string): Promise<string | undefined> => {
    if (method !== 'PROPFIND' && method !== 'REPORT') return undefined;
    let xml: string;
    try {
      xml = await response.clone().text();
    } catch {
      return undefined;
    }
    try {
      parseMultistatus(xml, { method, path, status: response.status });
    } catch (error) {
      return (error as Error).message;
    }
    return response.status === 207
      ? undefined
      : unexpectedAnswer(method, path, `${answerKind(response)} instead of a WebDAV multistatus (207)`).message;
  };
  // The last error status of the DAV endpoint itself (not of tsdav's guesses at .well-known or the site root):
  // tsdav swallows it and ends discovery with a vague "cannot find principalUrl".
  const davRoot = `${nextcloudRoot}remote.php/dav/`;
  let refusedWith: number | undefined;
  let oddAnswer: string | undefined;
  let unreachable: NextcloudError | undefined;
  let discoveryDeadline: AbortSignal | undefined;
  const dav = () => {
    refusedWith = undefined;
    oddAnswer = undefined;
    unreachable = undefined;
    discoveryDeadline = AbortSignal.timeout(timeoutMs);
    const discovery = createAccount({
      account: { serverUrl: `${http.baseUrl}/remote.php/dav/`, accountType: 'caldav' },
      headers: http.authHeaders(),
      fetch: pinnedFetch,
    });
    const done = () => {
      discoveryDeadline = undefined;
    };
    discovery.then(done, done);
    return discovery;
  };
  let account: ReturnType<typeof dav> | undefined;
  const discoveredAccount = async () => {
    account ??= dav().catch((error: unknown) => {
      account = undefined;
      if (error instanceof NextcloudError) throw error;
      if (unreachable) throw unreachable;
      const name = (error as Error | undefined)?.name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        http.reachability.timedOut(timeoutMs);
        throw new NextcloudError({
          code: 'timeout',
          method: 'PROPFIND',
          path: '/remote.php/dav/',
          message: `CalDAV discovery for ${http.userId} did not finish in time.`,
          cause: error,
        });
      }
      // tsdav reports a refused login only as a missing principal URL; the status Nextcloud answered says why.
      const code = refusedWith === undefined ? 'protocol' : codeForStatus(refusedWith);
      const why = refusedWith === undefined && oddAnswer ? oddAnswer : `${explain(code)}.`;
      throw new NextcloudError({
        code,
        status: refusedWith,
        method: 'PROPFIND',
        path: '/remote.php/dav/',
        message: `CalDAV discovery for ${http.userId} failed${refusedWith === undefined ? '' : ` (${refusedWith})`}: ${why}`,
        cause: error,
      });
    });
    return account;
  };
  // Every request carries the app secret, so a URL handed in by a caller must point into this Nextcloud's
  // calendars; anything else (another host, a path outside CalDAV) is refused before a byte is sent.
  const calendarsRoot = `${http.baseUrl}/remote.php/dav/calendars/`;
  // The home by the contract: the user id (the UID AppAPI acts as) as one percent-encoded path segment.
  const directHome = `${calendarsRoot}${encodeURIComponent(http.userId)}/`;
  /** Where the calendars are: the direct address until discovery, asked only when that one failed, names another. */
  let homeUrl = directHome;
  /** Whether a listing of homeUrl has succeeded: from then on a failure there is Nextcloud's, not a wrong address. */
  let homeConfirmed = false;
  let discoveredHome: Promise<string> | undefined;
  const discoverHome = () => {
    discoveredHome ??= discoveredAccount().then(
      ({ homeUrl: url }) => {
        if (url === undefined) return directHome;
        // Every later request goes below this URL with the app secret attached; only this Nextcloud's calendars will do.
        const resolved = new URL(url, http.baseUrl).href;
        if (!resolved.startsWith(calendarsRoot)) {
          discoveredHome = undefined;
          throw unexpectedAnswer('PROPFIND', '/remote.php/dav/', `a calendar home outside ${calendarsRoot} (${resolved.slice(0, 200)})`);
        }
        return resolved;
      },
      (error: unknown) => {
        // A failed discovery (timeout, Nextcloud down) is retried by the next call, not remembered.
        discoveredHome = undefined;
        throw error;
      },
    );
    return discoveredHome;
  };
  const ownUrl = (url: string) => {
    wellFormed(url, `The calendar URL "${printable(url)}"`);
    let resolved: string;
    try {
      resolved = new URL(url, http.baseUrl).href;
    } catch {
      throw new InvalidArgumentError(`"${url}" is not a URL`);
    }
    if (!resolved.startsWith(calendarsRoot)) throw new InvalidArgumentError(`"${url}" is not a calendar URL of this Nextcloud`);
    return resolved;
  };
  const calendarUrl = async (calendar: string | CalendarInfo) => {
    if (typeof calendar !== 'string') return ownUrl(calendar.url);
    if (calendar.includes('/')) {
      const url = ownUrl(calendar);
      return url.endsWith('/') ? url : `${url}/`;
    }
    if (!/^[A-Za-z0-9._-]+$/.test(calendar)) throw new InvalidArgumentError(`"${printable(calendar)}" is not a calendar id`);
    return new URL(`${calendar}/`, homeUrl).toString();
  };

  // The calendar list last read, while it is fresh (listTtlMs). A listing in flight is shared by the calls that
  // arrive meanwhile; a failed one is not kept.
  let listed: { at: number; list: Promise<CalendarInfo[]> } | undefined;
  /** A 404 or 403 on a calendar means the list may be out of date: a calendar gone, a share withdrawn or changed. */
  const listMayBeStale = <E>(error: E): E => {
    if (isNextcloudError(error, 'not_found') || isNextcloudError(error, 'forbidden')) listed = undefined;
    return error;
  };

  // `url` is always below calendarsRoot (ownUrl, calendarUrl, a checked discovery), so below the base URL.
  const request = (method: string, url: string, init: { headers?: Record<string, string>; body?: string } = {}) =>
    http.request(method, url.slice(http.baseUrl.length), init).catch((error: unknown) => {
      throw listMayBeStale(error);
    });

  /** An href of a multistatus answer as a URL; one that is none is Nextcloud's fault, not a crash of the caller. */
  const hrefUrl = (href: string, method: string, url: string): string => {
    try {
      return new URL(href, http.baseUrl).toString();
    } catch (error) {
      throw unexpectedAnswer(method, new URL(url).pathname, `an entry whose href is not a URL (${href.slice(0, 200)})`, 207, error);
    }
  };

  /** A change is done only when CalDAV says so; a 200 page from something in between is not. */
  const expectStatus = async (response: Response, method: string, url: string, statuses: number[], meaning: string) => {
    if (statuses.includes(response.status)) return;
    await response.body?.cancel().catch(() => undefined);
    throw unexpectedAnswer(method, new URL(url).pathname, `${answerKind(response)} instead of ${meaning}`, response.status);
  };

  /** A refused event write is nearly always a calendar shared read-only; name the calendar. */
  const writeError = (error: NextcloudError, url: string) => {
    const calendarId = decodeURIComponent(url.slice(calendarsRoot.length).split('/')[1] ?? '');
    const hints: Partial<Record<string, string>> = {
      forbidden: `${http.userId} may not change events in calendar ${calendarId}: it is shared read-only with ${http.userId}, or does not take events`,
      precondition_failed: `the event changed since it was read (stale ETag), or an event with this name exists already in calendar ${calendarId}; read it again`,
      bad_request: `Nextcloud rejected the event for calendar ${calendarId} (invalid iCalendar, or its UID is already used there)`,
    };
    const hint = hints[error.code];
    if (!hint) return error;
    return reworded(error, `${hint} (${error.method} ${error.status}).`);
  };

  const toCalendar = (href: string, props: XmlNode, listUrl: string): CalendarInfo | null => {
    const types = child(props, NS.dav, 'resourcetype');
    if (!child(types, NS.cal, 'calendar')) return null;
    if (text(child(props, NS.ncc, 'deleted-at'))) return null;
    const privileges = children(child(props, NS.dav, 'current-user-privilege-set'), NS.dav, 'privilege').flatMap((privilege) =>
      Object.keys(privilege.children),
    );
    const writable = privileges.some((name) => ['{DAV:}write', '{DAV:}write-content', '{DAV:}bind', '{DAV:}all'].includes(name));
    const readOnlyFlag = text(child(props, NS.oc, 'read-only'));
    const url = hrefUrl(href, 'PROPFIND', listUrl);
    return {
      url,
      id: hrefName(url),
      displayName: text(child(props, NS.dav, 'displayname')) ?? '',
      readOnly: readOnlyFlag === '1' || readOnlyFlag === 'true' || (privileges.length > 0 && !writable),
      components: children(child(props, NS.cal, 'supported-calendar-component-set'), NS.cal, 'comp')
        .map((comp) => comp.attributes.name ?? '')
        .filter(Boolean),
      ownerPrincipal:
        text(child(child(props, NS.oc, 'owner-principal'), NS.dav, 'href')) ?? text(child(props, NS.oc, 'owner-principal')) ?? null,
      color: text(child(props, 'http://apple.com/ns/ical/', 'calendar-color')) ?? null,
      order: calendarOrder(text(child(props, 'http://apple.com/ns/ical/', 'calendar-order'))),
    };
  };

  const listAt = async (url: string): Promise<CalendarInfo[]> => {
    const response = await request('PROPFIND', url, {
      headers: { Depth: '1', 'Content-Type': 'application/xml; charset=utf-8' },
      body: LIST_BODY,
    });
    return (await readMultistatus(response, 'PROPFIND', new URL(url).pathname))
      .map((entry) => toCalendar(entry.href, entry.props, url))
      .filter((calendar): calendar is CalendarInfo => calendar !== null);
  };
  const readList = async (): Promise<CalendarInfo[]> => {
    const url = homeUrl;
    try {
      const list = await listAt(url);
      homeConfirmed = true;
      return list;
    } catch (error) {
      // Only an address that was never confirmed is questioned, and only when it is missing or answers like no
      // calendar home does; a refusal, a timeout or an outage is the answer.
      if (homeConfirmed || !(isNextcloudError(error, 'not_found') || isNextcloudError(error, 'protocol'))) throw error;
      const found = await discoverHome();
      if (found === url) throw error;
      homeUrl = found;
      const list = await listAt(found);
      homeConfirmed = true;
      return list;
    }
  };
  const copied = (list: CalendarInfo[]) => list.map((calendar) => ({ ...calendar, components: [...calendar.components] }));

  return {
    async calendars() {
      const now = performance.now();
      if (listed && now - listed.at < listTtlMs) return copied(await listed.list);
      const entry = { at: now, list: readList() };
      if (listTtlMs > 0) {
        listed = entry;
        entry.list.catch(() => {
          if (listed === entry) listed = undefined;
        });
      }
      return copied(await entry.list);
    },

    async events(calendar, range) {
      const url = await calendarUrl(calendar);
      const body = `<?xml version="1.0" encoding="UTF-8"?>
<c:calendar-query xmlns:d="DAV:" xmlns:c="${NS.cal}"><d:prop><d:getetag/>${
        range.expand
          ? `<c:calendar-data><c:expand start="${basicUtc(range.start)}" end="${basicUtc(range.end)}"/></c:calendar-data>`
          : '<c:calendar-data/>'
      }</d:prop>
<c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT"><c:time-range start="${basicUtc(range.start)}" end="${basicUtc(range.end)}"/></c:comp-filter></c:comp-filter></c:filter>
</c:calendar-query>`;
      const response = await request('REPORT', url, { headers: { Depth: '1', 'Content-Type': 'application/xml; charset=utf-8' }, body });
      return (await readMultistatus(response, 'REPORT', new URL(url).pathname)).flatMap((entry) => {
        const ics = text(child(entry.props, NS.cal, 'calendar-data'));
        return ics && holdsEvent(ics)
          ? [{ url: hrefUrl(entry.href, 'REPORT', url), etag: text(child(entry.props, NS.dav, 'getetag')) ?? null, ics }]
          : [];
      });
    },

    async getEvent(eventUrl) {
      const url = ownUrl(eventUrl);
      const response = await request('GET', url, { headers: { Accept: 'text/calendar' } });
      const ics = await readBody(response, 'GET', new URL(url).pathname);
      if (!holdsEvent(ics))
        throw unexpectedAnswer('GET', new URL(url).pathname, `${answerKind(response)} that holds no event (VEVENT)`, response.status);
      return { url, etag: response.headers.get('etag'), ics };
    },

    async createEvent(calendar, ics, options = {}) {
      const base = await calendarUrl(calendar);
      const fileName = options.fileName ?? `${crypto.randomUUID()}.ics`;
      if (!/^[A-Za-z0-9._-]+\.ics$/.test(fileName) || fileName.startsWith('.'))
        throw new InvalidArgumentError(`"${fileName}" is not a calendar object name (letters, digits, . _ - and .ics)`);
      const response = await createCalendarObject({
        calendar: { url: base },
        filename: fileName,
        iCalString: ics,
        headers: http.authHeaders(),
        fetch: http.fetch,
      });
      const url = new URL(fileName, base).toString();
      if (!response.ok) throw writeError(listMayBeStale(await errorFromResponse(response, 'PUT', new URL(url).pathname, http.userId)), url);
      await expectStatus(response, 'PUT', url, [201, 204], 'a stored event (201 or 204)');
      // Nextcloud omits the ETag when it changed the data on the way in; read it back then.
      const etag = response.headers.get('etag') ?? (await this.getEvent(url)).etag;
      return { url, etag };
    },

    async updateEvent(eventUrl, ics, etag) {
      const url = ownUrl(eventUrl);
      const response = await updateCalendarObject({
        calendarObject: { url, data: ics, etag },
        headers: http.authHeaders(),
        fetch: http.fetch,
      });
      if (!response.ok) throw writeError(listMayBeStale(await errorFromResponse(response, 'PUT', new URL(url).pathname, http.userId)), url);
      await expectStatus(response, 'PUT', url, [201, 204], 'a stored event (201 or 204)');
      return { etag: response.headers.get('etag') };
    },

    async deleteEvent(eventUrl, etag) {
      const url = ownUrl(eventUrl);
      const response = await deleteCalendarObject({ calendarObject: { url, etag }, headers: http.authHeaders(), fetch: http.fetch });
      if (!response.ok)
        throw writeError(listMayBeStale(await errorFromResponse(response, 'DELETE', new URL(url).pathname, http.userId)), url);
      await expectStatus(response, 'DELETE', url, [204], 'a deletion (204)');
    },
  };
}

/** x1:calendar-order as a number; anything else (absent, empty, not an integer) is no order. */
function calendarOrder(value: string | undefined): number | null {
  return value !== undefined && /^-?\d{1,9}$/.test(value.trim()) ? Number(value.trim()) : null;
}
