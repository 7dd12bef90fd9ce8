// iCalendar objects as a model, not as text. ical.js (Mozilla's parser, the one Nextcloud's own Calendar app is
// built on) parses and serialises them, so an update changes only the properties it means to and keeps the rest
// (attendees, alarms, X- properties, changed single occurrences) exactly as the client that wrote them left them.
// VTIMEZONE definitions come from @nextcloud/timezones, the data Nextcloud's Calendar app writes into its own
// events. Instants of a known zone are computed with the runtime's IANA database (Intl), as Nextcloud resolves a
// known TZID by its name, not by the VTIMEZONE an object carries.
import { createRequire } from 'node:module';
import ICAL from 'ical.js';

export type IcalComponent = InstanceType<typeof ICAL.Component>;
export type IcalTime = InstanceType<typeof ICAL.Time>;

interface ZoneData {
  aliases: Record<string, string>;
  zones: Record<string, { ics: string[] }>;
}

// Read with require: the JSON is a package export, and this works the same under tsx, vitest and the build.
const zoneData = createRequire(import.meta.url)('@nextcloud/timezones/resources/timezones/zones.json') as ZoneData;
const zoneByLowerName = new Map(Object.keys(zoneData.zones).map((name) => [name.toLowerCase(), name]));
const aliasByLowerName = new Map(Object.entries(zoneData.aliases).map(([alias, target]) => [alias.toLowerCase(), target]));
const UTC_NAMES = new Set([
  'utc',
  'etc/utc',
  'gmt',
  'etc/gmt',
  'z',
  'zulu',
  'etc/zulu',
  'universal',
  'etc/universal',
  'uct',
  'etc/uct',
  'gmt0',
  'etc/gmt0',
]);

function intlZone(name: string): string | null {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

const canonicalZones = new Map<string, string | null>();

/**
 * The IANA name for a zone given by a person or a TZID: exact and alias names of the Nextcloud zone data
 * (which also maps Windows names such as "W. Europe Standard Time"), case-insensitively; "UTC" for UTC; null
 * when no IANA database knows it.
 */
export function canonicalZone(name: string | null | undefined): string | null {
  if (!name) return null;
  let known = canonicalZones.get(name);
  if (known === undefined) {
    known = lookUpZone(name);
    // Names come from stored events and from callers; bounded so a stream of made-up names cannot grow it.
    if (canonicalZones.size < 2000) canonicalZones.set(name, known);
  }
  return known;
}

function lookUpZone(name: string): string | null {
  const lower = name.trim().toLowerCase();
  if (UTC_NAMES.has(lower)) return 'UTC';
  let target: string | undefined = zoneByLowerName.get(lower);
  for (let hops = 0, alias = lower; !target && hops < 5; hops++) {
    const next = aliasByLowerName.get(alias);
    if (!next) break;
    target = zoneByLowerName.get(next.toLowerCase());
    alias = next.toLowerCase();
  }
  // A zone the runtime knows but the calendar data does not (rare: fixed-offset Etc/ names, brand-new zones).
  if (!target && /^[A-Za-z]+(\/[A-Za-z0-9_+-]+)+$/.test(name.trim())) target = intlZone(name.trim()) ?? undefined;
  if (!target || !intlZone(target)) return null;
  return target;
}

/** The VTIMEZONE to ship with events in this zone; null for UTC or a zone without a definition. */
export function vtimezone(zone: string): IcalComponent | null {
  const data = zoneData.zones[zone];
  if (!data) return null;
  return new ICAL.Component(ICAL.parse(['BEGIN:VTIMEZONE', `TZID:${zone}`, ...data.ics, 'END:VTIMEZONE'].join('\r\n')) as unknown[]);
}

// ---- wall-clock times and instants

export interface Wall {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(zone: string): Intl.DateTimeFormat {
  let format = formatters.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, format);
  }
  return format;
}

export function wallAt(ms: number, zone: string): Wall {
  if (zone === 'UTC') {
    const date = new Date(ms);
    return {
      year: date.getUTCFullYear(),
      month: date.getUTCMonth() + 1,
      day: date.getUTCDate(),
      hour: date.getUTCHours(),
      minute: date.getUTCMinutes(),
      second: date.getUTCSeconds(),
    };
  }
  const parts = Object.fromEntries(
    formatter(zone)
      .formatToParts(new Date(ms))
      .map((part) => [part.type, part.value]),
  );
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour) % 24,
    minute: Number(parts.minute),
    second: Number(parts.second),
  };
}

const wallAsUtc = (wall: Wall) => Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);

function offsetAt(ms: number, zone: string): number {
  const whole = Math.floor(ms / 1000) * 1000;
  return wallAsUtc(wallAt(whole, zone)) - whole;
}

/**
 * The instant a wall-clock time in a zone stands for. RFC 5545 3.3.5: a time that occurs twice (clocks going
 * back) means the first one; a time that does not exist (clocks going forward) is read with the offset before
 * the gap, which moves it forward.
 */
export function instantOf(wall: Wall, zone: string): number {
  const asUtc = wallAsUtc(wall);
  if (zone === 'UTC') return asUtc;
  const before = offsetAt(asUtc - 86_400_000, zone);
  const after = offsetAt(asUtc + 86_400_000, zone);
  const valid = [asUtc - before, asUtc - after].filter((candidate, index) => offsetAt(candidate, zone) === (index === 0 ? before : after));
  return valid.length > 0 ? Math.min(...valid) : asUtc - before;
}

const pad = (value: number, width = 2) => String(value).padStart(width, '0');
export const isoDate = (wall: Pick<Wall, 'year' | 'month' | 'day'>) => `${pad(wall.year, 4)}-${pad(wall.month)}-${pad(wall.day)}`;

/** 2026-05-04T09:30:00+02:00 (Z in UTC). */
export function isoInZone(ms: number, zone: string): string {
  const wall = wallAt(ms, zone);
  const offset = Math.round((wallAsUtc(wall) - Math.floor(ms / 1000) * 1000) / 60_000);
  const sign = offset < 0 ? '-' : '+';
  const suffix = zone === 'UTC' ? 'Z' : `${sign}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
  return `${isoDate(wall)}T${pad(wall.hour)}:${pad(wall.minute)}:${pad(wall.second)}${suffix}`;
}

export function addDays(date: Pick<Wall, 'year' | 'month' | 'day'>, days: number): Wall {
  const shifted = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: shifted.getUTCFullYear(), month: shifted.getUTCMonth() + 1, day: shifted.getUTCDate(), hour: 0, minute: 0, second: 0 };
}

export const wallOf = (time: IcalTime): Wall => ({
  year: time.year,
  month: time.month,
  day: time.day,
  hour: time.isDate ? 0 : time.hour,
  minute: time.isDate ? 0 : time.minute,
  second: time.isDate ? 0 : time.second,
});

// ---- what callers type

export type TimeInput = { kind: 'date'; wall: Wall } | { kind: 'datetime'; wall: Wall; offsetMinutes: number | null };

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;

/** An ISO 8601 date (2026-05-04) or date-time with an optional offset (2026-05-04T09:30, ...Z, ...+02:00). */
export function parseTimeInput(text: string): TimeInput | null {
  const match = ISO.exec(text.trim());
  if (!match) return null;
  const [, y, mo, d, h, mi, s, offset] = match;
  const wall: Wall = {
    year: Number(y),
    month: Number(mo),
    day: Number(d),
    hour: Number(h ?? 0),
    minute: Number(mi ?? 0),
    second: Number(s ?? 0),
  };
  const check = new Date(Date.UTC(wall.year, wall.month - 1, wall.day));
  if (check.getUTCMonth() !== wall.month - 1 || check.getUTCDate() !== wall.day || wall.hour > 23 || wall.minute > 59 || wall.second > 59)
    return null;
  if (h === undefined) return { kind: 'date', wall };
  let offsetMinutes: number | null = null;
  if (offset) {
    if (offset.toUpperCase() === 'Z') offsetMinutes = 0;
    else {
      const digits = offset.slice(1).replace(':', '');
      offsetMinutes = (offset.startsWith('-') ? -1 : 1) * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || 0));
      if (Math.abs(offsetMinutes) > 18 * 60) return null;
    }
  }
  return { kind: 'datetime', wall, offsetMinutes };
}

/** The instant of a typed time: with its offset, else as wall time in the zone (a date is its midnight). */
export function inputInstant(input: TimeInput, zone: string): number {
  if (input.kind === 'datetime' && input.offsetMinutes !== null) return wallAsUtc(input.wall) - input.offsetMinutes * 60_000;
  return instantOf(input.wall, zone);
}

/** ISO 8601 durations as iCalendar has them (PT1H30M, P1D, P2W); no years or months, which have no fixed length. */
export function parseDuration(text: string): { days: number; seconds: number } | null {
  const match = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/i.exec(text.trim());
  if (!match || text.trim().toUpperCase() === 'P' || /T$/i.test(text.trim())) return null;
  const [, w, d, h, m, s] = match.map((part) => Number(part ?? 0));
  return { days: w! * 7 + d!, seconds: h! * 3600 + m! * 60 + s! };
}

// ---- reading events

export function parseCalendar(ics: string): IcalComponent {
  return new ICAL.Component(ICAL.parse(ics) as unknown[]);
}

interface PropTime {
  time: IcalTime;
  tzid: string | null;
}

export function propTime(component: IcalComponent, name: string): PropTime | null {
  const property = component.getFirstProperty(name);
  const value = property?.getFirstValue();
  if (!property || !(value instanceof ICAL.Time)) return null;
  const tzid = property.getParameter('tzid');
  return { time: value, tzid: typeof tzid === 'string' ? tzid : null };
}

/** The zone a time of an event is in: its IANA zone, UTC, or null for floating times and unknown zones. */
export function zoneOf(time: PropTime): string | null {
  if (time.time.isDate) return null;
  if (time.time.zone === ICAL.Timezone.utcTimezone) return 'UTC';
  return canonicalZone(time.tzid);
}

/** The instant of an event time; floating times and dates are read in `fallbackZone`. */
export function instantOfTime(time: IcalTime, tzid: string | null, fallbackZone: string): number {
  const wall = wallOf(time);
  if (time.isDate) return instantOf(wall, fallbackZone);
  if (time.zone === ICAL.Timezone.utcTimezone) return wallAsUtc(wall);
  const zone = canonicalZone(tzid);
  if (zone) return instantOf(wall, zone);
  // A zone only the object's own VTIMEZONE defines: ical.js reads it from there.
  if (tzid && time.zone && time.zone.tzid !== 'floating') return time.toJSDate().getTime();
  return instantOf(wall, fallbackZone);
}

export interface Span {
  start: number;
  end: number;
  allDay: boolean;
  /** For all-day events: the first day and the day after the last (iCalendar's exclusive end). */
  startDate: string | null;
  endDate: string | null;
  /** The event's own zone (IANA or UTC); null for all-day and floating events. */
  zone: string | null;
}

/** When one VEVENT (or one occurrence of it, starting at `at`) takes place. */
export function spanOf(event: IcalComponent, fallbackZone: string, at?: IcalTime): Span | null {
  const dtstart = propTime(event, 'dtstart');
  if (!dtstart) return null;
  const startTime = at ?? dtstart.time;
  const allDay = dtstart.time.isDate;
  const start = instantOfTime(startTime, dtstart.tzid, fallbackZone);
  const dtend = propTime(event, 'dtend');
  const duration = event.getFirstPropertyValue('duration');
  let days = 0;
  let seconds = 0;
  if (dtend && allDay)
    days = Math.round(
      (Date.UTC(dtend.time.year, dtend.time.month - 1, dtend.time.day) -
        Date.UTC(dtstart.time.year, dtstart.time.month - 1, dtstart.time.day)) /
        86_400_000,
    );
  else if (dtend)
    seconds = (instantOfTime(dtend.time, dtend.tzid, fallbackZone) - instantOfTime(dtstart.time, dtstart.tzid, fallbackZone)) / 1000;
  else if (duration instanceof ICAL.Duration) {
    const sign = duration.isNegative ? -1 : 1;
    days = sign * (duration.weeks * 7 + duration.days);
    seconds = sign * (duration.hours * 3600 + duration.minutes * 60 + duration.seconds);
  } else if (allDay) days = 1;
  const zone = allDay ? null : zoneOf(dtstart);
  // Whole days are nominal (a day across a DST change is 23 or 25 hours), the rest is exact (RFC 5545 3.3.6).
  const endWall =
    days !== 0
      ? {
          ...addDays(wallOf(startTime), days),
          hour: startTime.isDate ? 0 : startTime.hour,
          minute: startTime.isDate ? 0 : startTime.minute,
          second: startTime.isDate ? 0 : startTime.second,
        }
      : null;
  const end = (endWall ? instantOf(endWall, zone ?? fallbackZone) : start) + Math.max(0, seconds) * 1000;
  return {
    start,
    end: Math.max(end, start),
    allDay,
    startDate: allDay ? isoDate(startTime) : null,
    endDate: allDay ? isoDate(addDays(startTime, Math.max(days, 1))) : null,
    zone,
  };
}

export interface Occurrence extends Span {
  /** The VEVENT this occurrence is described by: the series, or the changed occurrence. */
  event: IcalComponent;
  /** For occurrences of a series: when it was due by the rule (RECURRENCE-ID), as an instant. */
  recurrenceId: number | null;
  recurring: boolean;
}

/** The VEVENTs of one calendar object: the series (or single event) and its changed occurrences. */
export function eventsOf(calendar: IcalComponent): { master: IcalComponent | null; overrides: IcalComponent[] } {
  const events = calendar.getAllSubcomponents('vevent');
  const master = events.find((event) => !event.hasProperty('recurrence-id')) ?? null;
  return { master, overrides: events.filter((event) => event !== master && event.hasProperty('recurrence-id')) };
}

export const isRecurring = (master: IcalComponent | null, overrides: IcalComponent[]) =>
  overrides.length > 0 || (master !== null && (master.hasProperty('rrule') || master.hasProperty('rdate')));

const overlaps = (span: Span, window: { start: number; end: number }) =>
  span.end > span.start ? span.start < window.end && span.end > window.start : span.start >= window.start && span.start < window.end;

/** Enough to walk a daily series for decades; a rule with more steps than this before the window is cut off. */
const MAX_STEPS = 50_000;
const SLACK = 2 * 86_400_000;

/**
 * The occurrences of one calendar object that overlap the window, series expanded with their exceptions
 * (EXDATE, RDATE, changed occurrences). Expanded here rather than by the server: a CalDAV expand answers in UTC
 * only (RFC 4791 9.6.5), which loses the zone each event was planned in, and servers differ in how they mark the
 * instances (SabreDAV 1.8 gives a floating RECURRENCE-ID in the event's local time and none on the first one).
 */
export function occurrencesIn(
  calendar: IcalComponent,
  window: { start: number; end: number },
  fallbackZone: string,
): { occurrences: Occurrence[]; cutOff: boolean } {
  const { master, overrides } = eventsOf(calendar);
  const recurring = isRecurring(master, overrides);
  const found: Occurrence[] = [];
  let cutOff = false;
  const seen = new Set<number>();
  if (master && (master.hasProperty('rrule') || master.hasProperty('rdate'))) {
    const series = new ICAL.Event(master, { exceptions: overrides, strictExceptions: false });
    const dtstart = propTime(master, 'dtstart')!;
    const iterator = series.iterator();
    // An occurrence before the window can still reach into it; none lasts longer than the series or its changes.
    const longest = Math.max(
      0,
      ...[master, ...overrides].map((event) => {
        const span = spanOf(event, fallbackZone);
        return span ? span.end - span.start : 0;
      }),
    );
    for (let step = 0; ; step++) {
      if (step >= MAX_STEPS) {
        cutOff = true;
        break;
      }
      const next = iterator.next();
      if (!next) break;
      // Wall time read as UTC is within 14 hours of the instant in any zone; the exact instant (a few Intl
      // calls) is worked out only near the window, which keeps walking a long series from years back cheap.
      const rough = wallAsUtc(wallOf(next));
      if (rough - SLACK >= window.end) break;
      if (rough + SLACK + longest < window.start) continue;
      const due = instantOfTime(next, dtstart.tzid, fallbackZone);
      if (due >= window.end) break;
      seen.add(due);
      const details = series.getOccurrenceDetails(next);
      const changed = details.item !== series;
      const span = changed ? spanOf(details.item.component, fallbackZone) : spanOf(master, fallbackZone, next);
      if (span && overlaps(span, window))
        found.push({ ...span, event: changed ? details.item.component : master, recurrenceId: due, recurring });
    }
  } else if (master) {
    const span = spanOf(master, fallbackZone);
    if (span && overlaps(span, window)) found.push({ ...span, event: master, recurrenceId: null, recurring });
  }
  // Changed occurrences moved into the window from a date the rule reaches only later, and orphans without a series.
  for (const override of overrides) {
    const recurrence = propTime(override, 'recurrence-id');
    if (!recurrence) continue;
    const due = instantOfTime(recurrence.time, recurrence.tzid, fallbackZone);
    if (seen.has(due)) continue;
    const span = spanOf(override, fallbackZone);
    if (span && overlaps(span, window)) found.push({ ...span, event: override, recurrenceId: due, recurring });
  }
  return { occurrences: found, cutOff };
}

// ---- values of properties

export function textOf(component: IcalComponent, name: string): string | null {
  const value = component.getFirstPropertyValue(name);
  return typeof value === 'string' && value !== '' ? value : null;
}

/** mailto:bob@example.com -> bob@example.com; other URIs stay as they are. */
export const addressOf = (value: unknown) => (typeof value === 'string' ? value.replace(/^mailto:/i, '') : '');

export function param(property: InstanceType<typeof ICAL.Property>, name: string): string | null {
  const value = property.getParameter(name);
  return typeof value === 'string' ? value : Array.isArray(value) ? value.join(',') : null;
}

export { ICAL };

// ---- tasks (VTODO), with the state rules of the Nextcloud Tasks app

/** The VTODO a task object is about: the one without RECURRENCE-ID (the series), else the first. */
export function todoOf(calendar: IcalComponent): IcalComponent | null {
  const todos = calendar.getAllSubcomponents('vtodo');
  return todos.find((todo) => !todo.hasProperty('recurrence-id')) ?? todos[0] ?? null;
}

/** The Tasks app's rule: a task is done when it has COMPLETED or STATUS:COMPLETED. */
export const isTodoDone = (todo: IcalComponent) =>
  todo.hasProperty('completed') || String(todo.getFirstPropertyValue('status') ?? '').toUpperCase() === 'COMPLETED';

/** PERCENT-COMPLETE as a number (0 when absent or not a number). */
export function todoPercent(todo: IcalComponent): number {
  const value = Number(todo.getFirstPropertyValue('percent-complete') ?? 0);
  return Number.isFinite(value) ? value : 0;
}

/** Every CATEGORIES value, however many CATEGORIES properties they are spread over. */
export const categoriesOf = (component: IcalComponent): string[] =>
  component.getAllProperties('categories').flatMap((property) => property.getValues().map(String));

/**
 * The parent task's UID (RELATED-TO with RELTYPE=PARENT or without RELTYPE, as the Tasks app counts it); null
 * for a task at the top.
 */
export function parentUidOf(todo: IcalComponent): string | null {
  for (const property of todo.getAllProperties('related-to')) {
    const type = param(property, 'reltype');
    const value = property.getFirstValue();
    if ((type === null || type.toUpperCase() === 'PARENT') && typeof value === 'string' && value !== '') return value;
  }
  return null;
}

/** PERCENT-COMPLETE and STATUS as the Tasks app sets them together: removed at 0, IN-PROCESS for 1-99. */
export function setTodoPercent(todo: IcalComponent, percent: number): void {
  if (percent <= 0) {
    todo.removeAllProperties('percent-complete');
    todo.updatePropertyWithValue('status', 'NEEDS-ACTION');
  } else {
    todo.updatePropertyWithValue('percent-complete', Math.min(100, Math.round(percent)));
    if (percent < 100) todo.updatePropertyWithValue('status', 'IN-PROCESS');
  }
}

/**
 * Completes or reopens a task the way the Tasks app does. Complete: PERCENT-COMPLETE:100, STATUS:COMPLETED,
 * COMPLETED:now. Reopen: COMPLETED removed, and a task at 100 % goes back to 99 % IN-PROCESS; a STATUS:COMPLETED
 * left by another client without a percentage becomes NEEDS-ACTION (or IN-PROCESS when partly done), since the
 * status alone would keep it done.
 */
export function setTodoCompleted(todo: IcalComponent, completed: boolean, now: IcalTime): void {
  if (completed) {
    todo.updatePropertyWithValue('percent-complete', 100);
    todo.updatePropertyWithValue('status', 'COMPLETED');
    todo.updatePropertyWithValue('completed', now.clone());
    return;
  }
  todo.removeAllProperties('completed');
  const percent = todoPercent(todo);
  if (percent >= 100) setTodoPercent(todo, 99);
  else if (String(todo.getFirstPropertyValue('status') ?? '').toUpperCase() === 'COMPLETED') setTodoPercent(todo, percent);
}

/** The current moment as a UTC DATE-TIME, for DTSTAMP, LAST-MODIFIED, CREATED and COMPLETED. */
export function utcNow(ms = Date.now()): IcalTime {
  return ICAL.Time.fromJSDate(new Date(Math.floor(ms / 1000) * 1000), true);
}
