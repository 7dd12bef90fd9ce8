// What a sharee may read of a shared calendar or task list (contract nextcloud-apis 2.4, more-apps 2.3): CLASS:PRIVATE
// objects do not exist for bob (listing, calendar-query, multiget, GET, both searches), CLASS:CONFIDENTIAL ones come
// as "Busy" with their times only, alarms are stripped in read-only shares, and alice, the owner, sees everything.
// Seed: dav/seed.d/zz-sharee-privacy.php and tasks.php.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NS, child, parseMultistatus, text } from '../../lib/dav-xml.js';
import type { PhpBackend } from './php-backend.js';
import { startPhpBackend } from './php-backend.js';

let dataDir = '';
let php: PhpBackend | undefined;

function dav(user: string, method: string, davPath: string, body?: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${php!.origin}/remote.php/dav/${davPath}`, {
    method,
    headers: {
      'x-sim-user': user,
      'x-sim-token': php!.token,
      'x-sim-public-url': 'http://cloud.test',
      'content-type': 'application/xml',
      ...headers,
    },
    body,
  });
}

const DAY = 86_400_000;
/** The seed's days, relative to the start of the current UTC day, as CalDAV UTC date-times. */
const day = (offset: number) =>
  new Date(Math.floor(Date.now() / DAY) * DAY + offset * DAY)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');

const BOB_TEAM = 'calendars/bob/team_shared_by_alice/';
const BOB_CHORES = 'calendars/bob/chores_shared_by_alice/';

/** iCalendar text with LF line ends: XML parsing turns the CRLF inside calendar-data into LF. */
const lf = (ics: string | undefined) => ics?.replace(/\r\n/g, '\n');

/** Object name → calendar data of a multistatus answer. */
async function objects(response: Response): Promise<Map<string, string | undefined>> {
  expect(response.status).toBe(207);
  return new Map(
    parseMultistatus(await response.text()).map((entry) => [
      entry.href.split('/').at(-1)!,
      text(child(entry.props, NS.cal, 'calendar-data')),
    ]),
  );
}

const query = (component: 'VEVENT' | 'VTODO', filter = '', calendarData = '<c:calendar-data/>') =>
  `<c:calendar-query xmlns:d="DAV:" xmlns:c="${NS.cal}"><d:prop><d:getetag/>${calendarData}</d:prop>` +
  `<c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="${component}">${filter}</c:comp-filter></c:comp-filter></c:filter></c:calendar-query>`;

/** What bob may learn of the confidential event: its identity and times, nothing else. */
function expectMaskedEvent(raw: string | undefined) {
  const ics = lf(raw);
  expect(ics).toBeDefined();
  expect(ics).toContain('UID:sim-physio\n');
  expect(ics).toContain('SUMMARY:Busy\n');
  expect(ics).toContain('CLASS:CONFIDENTIAL\n');
  expect(ics).toContain(`DTSTART:${day(13).slice(0, 9)}140000Z\n`);
  expect(ics).toContain(`DTEND:${day(13).slice(0, 9)}150000Z\n`);
  for (const hidden of [
    'Physiotherapy',
    'Back clinic',
    'knee',
    'CATEGORIES',
    'VALARM',
    'DTSTAMP',
    'LAST-MODIFIED',
    'DESCRIPTION',
    'LOCATION',
  ])
    expect(ics).not.toContain(hidden);
}

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sharee-privacy-test-'));
  php = await startPhpBackend(dataDir);
}, 30_000);

afterAll(async () => {
  await php?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('a private event in a shared calendar', () => {
  it('is not listed for the sharee, but is for the owner', async () => {
    const list = async (user: string, calendar: string) =>
      [
        ...(
          await objects(
            await dav(user, 'PROPFIND', calendar, '<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/></d:prop></d:propfind>', { depth: '1' }),
          )
        ).keys(),
      ]
        .filter((name) => name.endsWith('.ics'))
        .sort();
    expect(await list('bob', BOB_TEAM)).toEqual(['offsite.ics', 'physio.ics']);
    expect(await list('alice', 'calendars/alice/team/')).toEqual(['appraisal.ics', 'offsite.ics', 'physio.ics']);
  });

  it('answers 404 to GET and is a 404 entry in a multiget, while the owner reads it', async () => {
    const get = await dav('bob', 'GET', `${BOB_TEAM}appraisal.ics`);
    expect(get.status).toBe(404);
    expect(await get.text()).not.toContain('appraisal');
    expect((await dav('bob', 'PROPFIND', `${BOB_TEAM}appraisal.ics`, undefined, { depth: '0' })).status).toBe(404);
    const multiget = await dav(
      'bob',
      'REPORT',
      BOB_TEAM,
      `<c:calendar-multiget xmlns:d="DAV:" xmlns:c="${NS.cal}"><d:prop><d:getetag/><c:calendar-data/></d:prop>` +
        `<d:href>/remote.php/dav/${BOB_TEAM}appraisal.ics</d:href><d:href>/remote.php/dav/${BOB_TEAM}offsite.ics</d:href></c:calendar-multiget>`,
      { depth: '1' },
    );
    const body = await multiget.text();
    expect(multiget.status).toBe(207);
    expect(body).not.toContain('Performance appraisal');
    const entries = parseMultistatus(body);
    expect(entries.map((entry) => [entry.href.split('/').at(-1), text(child(entry.props, NS.dav, 'getetag')) !== undefined])).toEqual([
      ['appraisal.ics', false],
      ['offsite.ics', true],
    ]);
    const alice = await dav('alice', 'GET', 'calendars/alice/team/appraisal.ics');
    expect(alice.status).toBe(200);
    expect(lf(await alice.text())).toContain('SUMMARY:Performance appraisal\n');
  });

  it('is left out of calendar-query answers, even when the filter matches it', async () => {
    const range = `<c:time-range start="${day(0)}" end="${day(30)}"/>`;
    const bob = await objects(await dav('bob', 'REPORT', BOB_TEAM, query('VEVENT', range), { depth: '1' }));
    expect([...bob.keys()].sort()).toEqual(['offsite.ics', 'physio.ics']);
    const bySummary = `<c:prop-filter name="SUMMARY"><c:text-match>appraisal</c:text-match></c:prop-filter>`;
    expect((await objects(await dav('bob', 'REPORT', BOB_TEAM, query('VEVENT', bySummary), { depth: '1' }))).size).toBe(0);
    expect([
      ...(await objects(await dav('alice', 'REPORT', 'calendars/alice/team/', query('VEVENT', bySummary), { depth: '1' }))).keys(),
    ]).toEqual(['appraisal.ics']);
  });
});

describe('a confidential event in a shared calendar', () => {
  it('comes to the sharee as "Busy" with its times only, in GET, calendar-query, expansion and multiget', async () => {
    const get = await dav('bob', 'GET', `${BOB_TEAM}physio.ics`);
    expect(get.status).toBe(200);
    const masked = await get.text();
    expectMaskedEvent(masked);
    // The ETag stays the stored object's, so If-Match works as for the owner; the length is that of what bob gets.
    const alice = await dav('alice', 'GET', 'calendars/alice/team/physio.ics');
    expect(get.headers.get('etag')).toBe(alice.headers.get('etag'));
    expect(Number(get.headers.get('content-length'))).toBe(new TextEncoder().encode(masked).length);

    const range = `<c:time-range start="${day(0)}" end="${day(30)}"/>`;
    expectMaskedEvent((await objects(await dav('bob', 'REPORT', BOB_TEAM, query('VEVENT', range), { depth: '1' }))).get('physio.ics'));
    const expand = `<c:calendar-data><c:expand start="${day(0)}" end="${day(30)}"/></c:calendar-data>`;
    expectMaskedEvent(
      (await objects(await dav('bob', 'REPORT', BOB_TEAM, query('VEVENT', range, expand), { depth: '1' }))).get('physio.ics'),
    );
    const multiget = await dav(
      'bob',
      'REPORT',
      BOB_TEAM,
      `<c:calendar-multiget xmlns:d="DAV:" xmlns:c="${NS.cal}"><d:prop><c:calendar-data/></d:prop><d:href>/remote.php/dav/${BOB_TEAM}physio.ics</d:href></c:calendar-multiget>`,
      { depth: '1' },
    );
    expectMaskedEvent((await objects(multiget)).get('physio.ics'));
  });

  it('is whole for the owner', async () => {
    const ics = await (await dav('alice', 'GET', 'calendars/alice/team/physio.ics')).text();
    for (const kept of [
      'SUMMARY:Physiotherapy',
      'LOCATION:Back clinic',
      'DESCRIPTION:Bring the knee scans.',
      'CATEGORIES:Health',
      'BEGIN:VALARM',
    ])
      expect(ics).toContain(kept);
  });
});

describe('tasks in a shared list', () => {
  it('hides the private task and masks the confidential one for the sharee', async () => {
    const bob = await objects(await dav('bob', 'REPORT', BOB_CHORES, query('VTODO'), { depth: '1' }));
    expect([...bob.keys()].sort()).toEqual(['bins.ics', 'forms.ics']);
    const forms = bob.get('forms.ics')!;
    expect(forms).toContain('UID:sim-task-forms\n');
    expect(forms).toContain('SUMMARY:Busy\n');
    expect(forms).toMatch(/\nDTSTART;VALUE=DATE:\d{8}\n/);
    // Nextcloud keeps only event time data: a task's DUE, priority and status go too.
    for (const hidden of ['insurance', 'Policy number', 'DUE', 'PRIORITY', 'CATEGORIES', 'DESCRIPTION'])
      expect(forms).not.toContain(hidden);
    expect(bob.get('bins.ics')).toContain('SUMMARY:Take out the bins\n');
    expect((await dav('bob', 'GET', `${BOB_CHORES}diary.ics`)).status).toBe(404);
    expect((await dav('bob', 'GET', `${BOB_CHORES}forms.ics`)).status).toBe(200);
  });

  it('shows the owner both in full', async () => {
    const alice = await objects(await dav('alice', 'REPORT', 'calendars/alice/chores/', query('VTODO'), { depth: '1' }));
    expect([...alice.keys()].sort()).toEqual(['bins.ics', 'diary.ics', 'forms.ics']);
    expect(alice.get('diary.ics')).toContain('SUMMARY:Hide the diary\n');
    expect(alice.get('forms.ics')).toContain('SUMMARY:Fill in the insurance forms\n');
    expect(alice.get('forms.ics')).toMatch(/\nDUE;VALUE=DATE:\d{8}\n/);
  });
});

describe('searching shared calendars', () => {
  const calendarSearch = async (user: string, component: 'VEVENT' | 'VTODO', term: string) => [
    ...(
      await objects(
        await dav(
          user,
          'REPORT',
          `calendars/${user}/`,
          `<ncc:calendar-search xmlns:d="DAV:" xmlns:c="${NS.cal}" xmlns:ncc="${NS.ncc}"><d:prop><d:getetag/></d:prop>` +
            `<ncc:filter><ncc:comp-filter name="${component}"/><ncc:prop-filter name="SUMMARY"/><ncc:prop-filter name="LOCATION"/>` +
            `<ncc:prop-filter name="DESCRIPTION"/><ncc:search-term>${term}</ncc:search-term></ncc:filter></ncc:calendar-search>`,
          { depth: '2' },
        ),
      )
    ).keys(),
  ];

  it('gives the sharee only public objects in calendar-search: private and confidential ones are left out', async () => {
    expect(await calendarSearch('bob', 'VEVENT', 'appraisal')).toEqual([]);
    expect(await calendarSearch('bob', 'VEVENT', 'clinic')).toEqual([]);
    // Not even under the mask's title.
    expect(await calendarSearch('bob', 'VEVENT', 'busy')).toEqual([]);
    expect(await calendarSearch('bob', 'VTODO', 'diary')).toEqual([]);
    expect(await calendarSearch('bob', 'VTODO', 'insurance')).toEqual([]);
    expect(await calendarSearch('bob', 'VEVENT', 'lodge')).toEqual(['offsite.ics']);
    expect(await calendarSearch('alice', 'VEVENT', 'appraisal')).toEqual(['appraisal.ics']);
    expect(await calendarSearch('alice', 'VEVENT', 'clinic')).toEqual(['physio.ics']);
    expect(await calendarSearch('alice', 'VTODO', 'insurance')).toEqual(['forms.ics']);
  });

  it('gives the sharee only public events in the unified search', async () => {
    const titles = async (user: string, term: string) => {
      const response = await fetch(`${php!.origin}/_sim/search/calendar?term=${term}&limit=10`, {
        headers: { 'x-sim-user': user, 'x-sim-token': php!.token, 'x-sim-public-url': 'http://cloud.test' },
      });
      expect(response.status).toBe(200);
      return ((await response.json()) as { entries: Array<{ title: string }> }).entries.map((entry) => entry.title);
    };
    expect(await titles('bob', 'appraisal')).toEqual([]);
    expect(await titles('bob', 'physio')).toEqual([]);
    expect(await titles('bob', 'busy')).toEqual([]);
    expect(await titles('alice', 'appraisal')).toEqual(['Performance appraisal']);
    expect(await titles('alice', 'physio')).toEqual(['Physiotherapy']);
  });
});

describe('a read-write share', () => {
  // carol gets alice's team calendar read-write, which the seed does not have.
  beforeAll(() => {
    const db = new DatabaseSync(path.join(dataDir, 'sim.sqlite'));
    try {
      const { id } = db.prepare("SELECT id FROM calendars WHERE principaluri = 'principals/users/alice' AND uri = 'team'").get() as {
        id: number;
      };
      db.prepare("INSERT INTO calendar_shares (calendarid, sharee, readonly) VALUES (?, 'principals/users/carol', 0)").run(id);
    } finally {
      db.close();
    }
  });

  it('hides and masks the same way, but keeps alarms, which only read-only shares lose', async () => {
    const carolTeam = 'calendars/carol/team_shared_by_alice/';
    expect((await dav('carol', 'GET', `${carolTeam}appraisal.ics`)).status).toBe(404);
    expectMaskedEvent(await (await dav('carol', 'GET', `${carolTeam}physio.ics`)).text());

    const withAlarm = [
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      'PRODID:-//test//EN',
      'BEGIN:VEVENT',
      'UID:sharee-alarm',
      'DTSTAMP:20260101T000000Z',
      `DTSTART:${day(15)}`,
      `DTEND:${day(16)}`,
      'SUMMARY:Reminded',
      'BEGIN:VALARM',
      'ACTION:DISPLAY',
      'DESCRIPTION:Soon',
      'TRIGGER:-PT10M',
      'END:VALARM',
      'END:VEVENT',
      'END:VCALENDAR',
      '',
    ].join('\n');
    const put = await dav('carol', 'PUT', `${carolTeam}reminded.ics`, withAlarm, { 'content-type': 'text/calendar', 'if-none-match': '*' });
    expect(put.status).toBe(201);
    expect(await (await dav('carol', 'GET', `${carolTeam}reminded.ics`)).text()).toContain('BEGIN:VALARM');
    const bobView = await (await dav('bob', 'GET', `${BOB_TEAM}reminded.ics`)).text();
    expect(bobView).toContain('SUMMARY:Reminded');
    expect(bobView).not.toContain('VALARM');
    expect(await (await dav('alice', 'GET', 'calendars/alice/team/reminded.ics')).text()).toContain('BEGIN:VALARM');
  });

  it('does not let the sharee write over a hidden object by its name', async () => {
    const ics = [
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      'PRODID:-//test//EN',
      'BEGIN:VEVENT',
      'UID:overwrite',
      'DTSTAMP:20260101T000000Z',
      `DTSTART:${day(15)}`,
      'SUMMARY:Mine',
      'END:VEVENT',
      'END:VCALENDAR',
      '',
    ].join('\n');
    const put = await dav('carol', 'PUT', 'calendars/carol/team_shared_by_alice/appraisal.ics', ics, { 'content-type': 'text/calendar' });
    expect(put.status).toBe(409);
    expect(await (await dav('alice', 'GET', 'calendars/alice/team/appraisal.ics')).text()).toContain('SUMMARY:Performance appraisal');
  });
});
