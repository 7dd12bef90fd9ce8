// The simulator's task lists (dav/seed.d/tasks.php) against the contract (more-apps §2): VTODO-only lists next to a
// VEVENT-only personal calendar, the component check on PUT, the calendar-query filters the Tasks app sends, and a
// list alice shares with bob read-only.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NS, child, children, parseMultistatus, text } from '../../lib/dav-xml.js';
import type { PhpBackend } from './php-backend.js';
import { startPhpBackend } from './php-backend.js';

let dataDir = '';
let php: PhpBackend | undefined;

function dav(user: string, method: string, davPath: string, body?: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${php!.origin}/remote.php/dav/${davPath}`, {
    method,
    headers: { 'x-sim-user': user, 'x-sim-token': php!.token, 'content-type': 'application/xml', ...headers },
    body,
  });
}

const object = (component: 'VTODO' | 'VEVENT', uid: string) =>
  `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:${component}\r\nUID:${uid}\r\nDTSTAMP:20260101T000000Z\r\n` +
  `${component === 'VEVENT' ? 'DTSTART:20260101T100000Z\r\n' : ''}SUMMARY:${uid}\r\nEND:${component}\r\nEND:VCALENDAR\r\n`;

const put = (user: string, davPath: string, body: string) =>
  dav(user, 'PUT', davPath, body, { 'content-type': 'text/calendar; charset=utf-8', 'if-none-match': '*' });

/** The object names a calendar-query with these VTODO filters answers. */
async function names(user: string, calendar: string, filters: string): Promise<string[]> {
  const response = await dav(
    user,
    'REPORT',
    calendar,
    `<c:calendar-query xmlns:d="DAV:" xmlns:c="${NS.cal}"><d:prop><d:getetag/></d:prop><c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VTODO">${filters}</c:comp-filter></c:comp-filter></c:filter></c:calendar-query>`,
    { depth: '1' },
  );
  expect(response.status).toBe(207);
  return parseMultistatus(await response.text())
    .map((entry) => entry.href.split('/').at(-1)!)
    .sort();
}

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tasks-sim-test-'));
  php = await startPhpBackend(dataDir);
}, 30_000);

afterAll(async () => {
  await php?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('task lists', () => {
  it('lists VTODO-only lists next to a VEVENT-only personal calendar', async () => {
    const response = await dav(
      'alice',
      'PROPFIND',
      'calendars/alice/',
      `<d:propfind xmlns:d="DAV:" xmlns:c="${NS.cal}"><d:prop><d:displayname/><c:supported-calendar-component-set/></d:prop></d:propfind>`,
      { depth: '1' },
    );
    expect(response.status).toBe(207);
    const components = Object.fromEntries(
      parseMultistatus(await response.text()).map((entry) => [
        entry.href.replace(/\/$/, '').split('/').at(-1),
        children(child(entry.props, NS.cal, 'supported-calendar-component-set'), NS.cal, 'comp').map((comp) => comp.attributes.name),
      ]),
    );
    expect(components.personal).toEqual(['VEVENT']);
    expect(components.tasks).toEqual(['VTODO']);
    expect(components.chores).toEqual(['VTODO']);
    expect(components['app-generated--deck--board-1']).toEqual(['VTODO']);
  });

  it('refuses a VTODO in a VEVENT-only calendar and a VEVENT in a task list with 403', async () => {
    const todo = await put('alice', 'calendars/alice/personal/stray-task.ics', object('VTODO', 'stray-task'));
    expect(todo.status).toBe(403);
    expect(await todo.text()).toMatch(/supported-calendar-component|only supports VEVENT/);
    const event = await put('alice', 'calendars/alice/tasks/stray-event.ics', object('VEVENT', 'stray-event'));
    expect(event.status).toBe(403);
    expect((await dav('alice', 'GET', 'calendars/alice/personal/stray-task.ics')).status).toBe(404);
    const accepted = await put('alice', 'calendars/alice/tasks/sim-test-accepted.ics', object('VTODO', 'sim-test-accepted'));
    expect(accepted.status).toBe(201);
    expect((await dav('alice', 'DELETE', 'calendars/alice/tasks/sim-test-accepted.ics')).status).toBe(204);
  });

  it('answers the filters the Tasks app sends; STATUS:COMPLETED without COMPLETED passes "open"', async () => {
    const open = await names('alice', 'calendars/alice/tasks/', '<c:prop-filter name="COMPLETED"><c:is-not-defined/></c:prop-filter>');
    expect(open).toContain('plants.ics');
    expect(open).toContain('present.ics');
    expect(open).not.toContain('taxes.ics');
    expect(await names('alice', 'calendars/alice/tasks/', '<c:prop-filter name="COMPLETED"/>')).toEqual(['taxes.ics']);
    expect(
      await names(
        'alice',
        'calendars/alice/tasks/',
        '<c:prop-filter name="RELATED-TO"><c:text-match collation="i;octet">sim-task-party</c:text-match></c:prop-filter>',
      ),
    ).toEqual(['invitations.ics']);
    expect(await names('alice', 'calendars/alice/tasks/', '<c:prop-filter name="DUE"/>')).toEqual([
      'invitations.ics',
      'party.ics',
      'passport.ics',
      'present.ics',
      'taxes.ics',
    ]);
  });

  it('keeps CATEGORIES split over two properties as stored', async () => {
    const response = await dav('alice', 'GET', 'calendars/alice/tasks/present.ics');
    expect(response.status).toBe(200);
    const ics = await response.text();
    expect(ics).toContain('CATEGORIES:Errands\r\n');
    expect(ics).toContain('CATEGORIES:Family,Gifts\r\n');
  });

  it("shows bob alice's chores read-only: readable, and PUT and DELETE refused", async () => {
    const response = await dav(
      'bob',
      'PROPFIND',
      'calendars/bob/chores_shared_by_alice/',
      `<d:propfind xmlns:d="DAV:" xmlns:oc="${NS.oc}"><d:prop><d:displayname/><oc:read-only/></d:prop></d:propfind>`,
      { depth: '0' },
    );
    expect(response.status).toBe(207);
    const [entry] = parseMultistatus(await response.text());
    expect(text(child(entry!.props, NS.dav, 'displayname'))).toBe('Household chores (Alice Liddell)');
    expect(text(child(entry!.props, NS.oc, 'read-only'))).toBe('1');
    expect(await names('bob', 'calendars/bob/chores_shared_by_alice/', '')).toContain('bins.ics');
    expect((await put('bob', 'calendars/bob/chores_shared_by_alice/bob-task.ics', object('VTODO', 'bob-task'))).status).toBe(403);
    expect((await dav('bob', 'DELETE', 'calendars/bob/chores_shared_by_alice/bins.ics')).status).toBe(403);
    expect((await dav('carol', 'GET', 'calendars/alice/tasks/present.ics')).status).toBe(404);
  });
});
