// When an event created or changed through a tool takes place: from the times, duration, all-day switch and
// time zone the model gave, and for a change from what the event says now. Every mistake a model is likely to
// make (an end before the start, a time without an offset or zone, an all-day end given inclusively) is refused
// with a sentence that says how to call again.
import { ToolError } from '../tool.js';
import { TIME_ZONE_HINT } from './common.js';
import type { IcalComponent, IcalTime, Span, TimeInput, Wall } from '../../../lib/ical.js';
import {
  ICAL,
  addDays,
  canonicalZone,
  inputInstant,
  instantOf,
  isoDate,
  isoInZone,
  parseDuration,
  parseTimeInput,
  vtimezone,
  wallAt,
} from '../../../lib/ical.js';

export interface TimingRequest {
  start?: string | undefined;
  end?: string | undefined;
  duration?: string | undefined;
  allDay?: boolean | undefined;
  timeZone?: string | undefined;
}

export interface Timing {
  allDay: boolean;
  /** IANA zone of the times, 'UTC', or null for all-day events. */
  zone: string | null;
  start: IcalTime;
  end: IcalTime;
}

const DAY = 86_400_000;
const invalid = (message: string) => new ToolError('invalid_input', message);
const dayNumber = (wall: Pick<Wall, 'year' | 'month' | 'day'>) => Date.UTC(wall.year, wall.month - 1, wall.day) / DAY;

function parsed(text: string | undefined, label: string): TimeInput | null {
  if (text === undefined) return null;
  const input = parseTimeInput(text);
  if (!input) throw invalid(`${label} "${text}" is not an ISO 8601 date or date-time (e.g. 2026-05-04 or 2026-05-04T09:30:00+02:00).`);
  return input;
}

const zones = new Map<string, InstanceType<typeof ICAL.Timezone>>();
function icalZone(zone: string): InstanceType<typeof ICAL.Timezone> {
  if (zone === 'UTC') return ICAL.Timezone.utcTimezone;
  let timezone = zones.get(zone);
  if (!timezone) {
    const component = vtimezone(zone);
    if (!component) throw invalid(`there is no iCalendar definition of time zone ${zone}; use ${TIME_ZONE_HINT}.`);
    timezone = new ICAL.Timezone(component);
    zones.set(zone, timezone);
  }
  return timezone;
}

/** Works out the new timing; `current` is the event's span when it is a change. */
export function planTiming(request: TimingRequest, current?: Span): Timing {
  const start = parsed(request.start, 'start');
  const end = parsed(request.end, 'end');
  if (request.end !== undefined && request.duration !== undefined) throw invalid('give end or duration, not both.');
  const duration = request.duration === undefined ? null : parseDuration(request.duration);
  if (request.duration !== undefined && !duration)
    throw invalid(`duration "${request.duration}" is not an ISO 8601 duration such as PT30M, PT1H30M, P1D or P1W.`);
  const askedZone = request.timeZone === undefined ? undefined : canonicalZone(request.timeZone);
  if (askedZone === null) throw invalid(`timeZone "${request.timeZone}" is not a time zone Nextcloud knows; use ${TIME_ZONE_HINT}.`);
  if (askedZone) icalZone(askedZone);
  const allDay = request.allDay ?? (current ? current.allDay : start?.kind === 'date');

  if (allDay) {
    if (start && start.kind !== 'date')
      throw invalid(`for an all-day event give start as a date (YYYY-MM-DD), not "${request.start}"; or set allDay to false.`);
    if (end && end.kind !== 'date') throw invalid(`for an all-day event give end as a date (YYYY-MM-DD), not "${request.end}".`);
    const first =
      start?.wall ??
      (current ? (current.allDay ? parseTimeInput(current.startDate!)!.wall : wallAt(current.start, current.zone ?? 'UTC')) : null);
    if (!first) throw invalid('start is required.');
    let days: number;
    if (end) days = dayNumber(end.wall) - dayNumber(first);
    else if (duration) {
      if (duration.seconds % 86_400 !== 0)
        throw invalid(`an all-day event lasts whole days; use a duration like P1D or P2W, not "${request.duration}".`);
      days = duration.days + duration.seconds / 86_400;
    } else if (current?.allDay)
      days = dayNumber(parseTimeInput(current.endDate!)!.wall) - dayNumber(parseTimeInput(current.startDate!)!.wall);
    else days = 1;
    if (days <= 0) {
      throw invalid(
        `end ${request.end ?? isoDate(addDays(first, days))} is not after start ${isoDate(first)}: for all-day events end is the day after the last day (a one-day event on ${isoDate(first)} has end ${isoDate(addDays(first, 1))}), or leave end out for one day.`,
      );
    }
    const date = (wall: Wall) => ICAL.Time.fromData({ year: wall.year, month: wall.month, day: wall.day, isDate: true });
    return { allDay: true, zone: null, start: date(first), end: date(addDays(first, days)) };
  }

  if (start?.kind === 'date')
    throw invalid(
      `start "${request.start}" is a date without a time; give a date-time such as ${request.start}T09:00, or set allDay to true for an all-day event.`,
    );
  if (end?.kind === 'date') throw invalid(`end "${request.end}" is a date without a time; give a date-time such as ${request.end}T10:00.`);
  const zone = askedZone ?? (current && !current.allDay ? current.zone : null);
  const instant = (input: TimeInput, label: string, text: string) => {
    if (input.kind === 'datetime' && input.offsetMinutes === null && !zone) {
      throw invalid(
        `${label} "${text}" has no UTC offset and no time zone is given: add an offset (e.g. ${text}+02:00) or give timeZone, ${TIME_ZONE_HINT}.`,
      );
    }
    return inputInstant(input, zone ?? 'UTC');
  };
  const stored = zone ?? 'UTC';
  let startMs: number;
  if (start) startMs = instant(start, 'start', request.start!);
  else if (current && !current.allDay) startMs = current.start;
  else if (current) throw invalid('to give an all-day event times, give start as a date-time (and end or duration).');
  else throw invalid('start is required.');
  let endMs: number;
  if (end) endMs = instant(end, 'end', request.end!);
  else if (duration) {
    // Whole days are nominal (the same time on a later day), the rest exact (RFC 5545 3.3.6).
    const wall = wallAt(startMs, stored);
    endMs =
      instantOf({ ...addDays(wall, duration.days), hour: wall.hour, minute: wall.minute, second: wall.second }, stored) +
      duration.seconds * 1000;
  } else if (current && !current.allDay) endMs = startMs + (current.end - current.start);
  else endMs = startMs + 3_600_000;
  if (endMs <= startMs)
    throw invalid(
      `end (${isoInZone(endMs, stored)}) is not after start (${isoInZone(startMs, stored)}); give a later end or a positive duration.`,
    );
  const time = (ms: number) => {
    const wall = wallAt(ms, stored);
    return ICAL.Time.fromData({ ...wall, isDate: false }, icalZone(stored));
  };
  return { allDay: false, zone: stored, start: time(startMs), end: time(endMs) };
}

/** Replaces a DTSTART/DTEND with a value of the planned kind (date, UTC or zoned date-time). */
export function setTime(event: IcalComponent, name: 'dtstart' | 'dtend', time: IcalTime, zone: string | null): void {
  event.removeAllProperties(name);
  const property = new ICAL.Property(name);
  if (time.isDate) property.resetType('date');
  property.setValue(time);
  if (zone && zone !== 'UTC') property.setParameter('tzid', zone);
  event.addProperty(property);
}

/** Adds the zone's VTIMEZONE to the calendar object unless it has one already. */
export function ensureTimezone(calendar: IcalComponent, zone: string | null): void {
  if (!zone || zone === 'UTC') return;
  const present = calendar.getAllSubcomponents('vtimezone').some((component) => component.getFirstPropertyValue('tzid') === zone);
  if (present) return;
  const definition = vtimezone(zone);
  if (!definition) return;
  // VTIMEZONEs first, as clients write them; ical.js can only append, so the events move behind it.
  const events = calendar.getAllSubcomponents().filter((component) => component.name !== 'vtimezone');
  for (const component of events) calendar.removeSubcomponent(component);
  calendar.addSubcomponent(definition);
  for (const component of events) calendar.addSubcomponent(component);
}

export const nowUtc = () => ICAL.Time.fromJSDate(new Date(Math.floor(Date.now() / 1000) * 1000), true);
