// What the calendar client asks Nextcloud, counted: the calendar home is addressed directly (contract 2.2), discovery
// runs only when that address is missing, writes need no discovery, and the calendar list is reused for its TTL,
// per user and never across users.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createNextcloud } from '../../lib/index.js';
import type { NextcloudError, NextcloudOptions } from '../../lib/index.js';
import type { Simulator } from '../nextcloud-sim/index.js';
import { failure, startLibFixture } from '../support/lib-fixture.js';

const DAY = 86_400_000;
const range = () => ({ start: new Date(Date.now() - DAY), end: new Date(Date.now() + 30 * DAY) });

/** A fetch that notes "METHOD /path" of every request and can answer some of them itself. */
function countingFetch(answer?: (method: string, url: URL, init: RequestInit | undefined) => Response | Promise<Response> | undefined) {
  const requests: string[] = [];
  const fetcher = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const method = (init?.method ?? 'GET').toUpperCase();
    requests.push(`${method} ${url.pathname}`);
    return (await answer?.(method, url, init)) ?? fetch(input, init);
  }) as typeof fetch;
  return { fetch: fetcher, requests };
}

let sim: Simulator;
let secret: string;
const client = (options: Partial<NextcloudOptions> & Pick<NextcloudOptions, 'fetch'>) =>
  createNextcloud({ baseUrl: sim.url, appId: 'mcp_gateway', appVersion: '0.1.0', appSecret: secret, timeoutMs: 10_000, ...options });

beforeAll(async () => {
  ({ sim, secret } = await startLibFixture({ dav: true }));
});
afterAll(() => sim?.stop());

describe('the calendar home', () => {
  it('is addressed directly: a fresh client lists calendars with one PROPFIND and discovers nothing', async () => {
    const counted = countingFetch();
    const calendars = await client({ fetch: counted.fetch }).as('alice').calendar.calendars();
    expect(calendars.map((calendar) => calendar.id).sort()).toEqual([
      'app-generated--deck--board-1',
      'chores',
      'personal',
      'tasks',
      'team',
    ]);
    expect(counted.requests).toEqual(['PROPFIND /remote.php/dav/calendars/alice/']);
  });

  it('takes the user id as one percent-encoded path segment', async () => {
    const counted = countingFetch(() => new Response(null, { status: 503 }));
    const nextcloud = createNextcloud({
      baseUrl: 'http://nextcloud.invalid',
      appId: 'mcp_gateway',
      appVersion: '0.1.0',
      appSecret: 's'.repeat(64),
      fetch: counted.fetch,
    });
    expect((await failure(nextcloud.as('jane doe@example.com').calendar.calendars())).code).toBe('unavailable');
    expect(counted.requests).toEqual(['PROPFIND /remote.php/dav/calendars/jane%20doe%40example.com/']);
  });

  /** A Nextcloud whose calendar home is not at the usual address: discovery names `homeHref` instead. */
  const movedHome = (homeHref: string) => {
    const multistatus = (body: string) =>
      new Response(`<?xml version="1.0"?><d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">${body}</d:multistatus>`, {
        status: 207,
        headers: { 'content-type': 'application/xml; charset=utf-8' },
      });
    const entry = (href: string, props: string) =>
      `<d:response><d:href>${href}</d:href><d:propstat><d:prop>${props}</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>`;
    const counted = countingFetch((method, url) => {
      if (url.pathname === '/remote.php/dav/')
        return multistatus(
          entry(
            '/remote.php/dav/',
            '<d:current-user-principal><d:href>/remote.php/dav/principals/users/alice/</d:href></d:current-user-principal>',
          ),
        );
      if (url.pathname === '/remote.php/dav/principals/users/alice/')
        return multistatus(entry(url.pathname, `<c:calendar-home-set><d:href>${homeHref}</d:href></c:calendar-home-set>`));
      if (url.pathname === '/remote.php/dav/calendars/alice-home/' && method === 'PROPFIND') {
        return multistatus(
          entry(url.pathname, '<d:resourcetype><d:collection/></d:resourcetype>') +
            entry(
              `${url.pathname}work/`,
              '<d:resourcetype><d:collection/><c:calendar/></d:resourcetype><d:displayname>Work</d:displayname><c:supported-calendar-component-set><c:comp name="VEVENT"/></c:supported-calendar-component-set>',
            ),
        );
      }
      if (url.pathname === '/remote.php/dav/calendars/alice-home/work/') return multistatus('');
      return new Response(null, { status: 404 });
    });
    const calendar = createNextcloud({
      baseUrl: 'http://nextcloud.invalid',
      appId: 'mcp_gateway',
      appVersion: '0.1.0',
      appSecret: 's'.repeat(64),
      fetch: counted.fetch,
    }).as('alice').calendar;
    return { calendar, requests: counted.requests };
  };

  it('is looked for by discovery when its address answers 404, and then used directly', async () => {
    const { calendar, requests } = movedHome('/remote.php/dav/calendars/alice-home/');
    expect((await calendar.calendars()).map((entry) => entry.url)).toEqual([
      'http://nextcloud.invalid/remote.php/dav/calendars/alice-home/work/',
    ]);
    expect(requests[0]).toBe('PROPFIND /remote.php/dav/calendars/alice/');
    expect(requests).toContain('PROPFIND /remote.php/dav/principals/users/alice/');
    expect(requests.at(-1)).toBe('PROPFIND /remote.php/dav/calendars/alice-home/');
    requests.length = 0;
    await calendar.calendars();
    expect(await calendar.events('work', range())).toEqual([]);
    expect(requests).toEqual(['PROPFIND /remote.php/dav/calendars/alice-home/', 'REPORT /remote.php/dav/calendars/alice-home/work/']);
  });

  it('refuses a discovered home outside the calendars of this Nextcloud', async () => {
    const { calendar, requests } = movedHome('/remote.php/dav/files/alice/');
    const refused = await failure(calendar.calendars());
    expect(refused.code).toBe('protocol');
    expect(refused.message).toContain('a calendar home outside');
    expect(requests.filter((request) => request.includes('/files/'))).toEqual([]);
  });

  it('gives up discovery after one timeout when the address is missing and Nextcloud then stops answering', async () => {
    const counted = countingFetch((_method, url, init) => {
      if (url.pathname === '/remote.php/dav/calendars/alice/') return new Response(null, { status: 404 });
      // Silent until the request is given up, as fetch does (at once when its signal has already fired).
      return new Promise<Response>((_resolve, reject) => {
        const signal = init?.signal;
        if (signal?.aborted) reject(signal.reason);
        signal?.addEventListener('abort', () => reject(signal.reason));
      });
    });
    const calendar = createNextcloud({
      baseUrl: 'http://nextcloud.invalid',
      appId: 'mcp_gateway',
      appVersion: '0.1.0',
      appSecret: 's'.repeat(64),
      timeoutMs: 400,
      fetch: counted.fetch,
    }).as('alice').calendar;
    // tsdav tries several URLs in turn; each on its own timeout would take a multiple of 400 ms. On a fake clock the
    // call must still be waiting at 399 ms and have ended with the timeout at 400 ms, whatever the machine's speed.
    // The shared discovery deadline is an AbortSignal.timeout, which fake timers do not reach: it is built on the
    // faked setTimeout here, aborting with the TimeoutError the real one aborts with.
    vi.useFakeTimers();
    const deadline = vi.spyOn(AbortSignal, 'timeout').mockImplementation((ms) => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), ms);
      return controller.signal;
    });
    try {
      let outcome: NextcloudError | undefined;
      const settled = failure(calendar.calendars()).then((error) => (outcome = error));
      await vi.advanceTimersByTimeAsync(399);
      expect(outcome).toBeUndefined();
      expect(counted.requests.length).toBeGreaterThan(1);
      await vi.advanceTimersByTimeAsync(1);
      expect(outcome?.code).toBe('timeout');
      await settled;
      expect(deadline).toHaveBeenCalledWith(400);
    } finally {
      deadline.mockRestore();
      vi.useRealTimers();
    }
  });

  it('needs no discovery to create, change and delete an event', async () => {
    const counted = countingFetch();
    const calendar = client({ fetch: counted.fetch }).as('alice').calendar;
    const ics = (summary: string) =>
      `BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\nBEGIN:VEVENT\r\nUID:count-requests\r\nDTSTAMP:20300101T000000Z\r\nDTSTART:20300101T100000Z\r\nDTEND:20300101T110000Z\r\nSUMMARY:${summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n`;
    const created = await calendar.createEvent('personal', ics('Counted'), { fileName: 'count-requests.ics' });
    const etag = created.etag ?? (await calendar.getEvent(created.url)).etag!;
    const updated = await calendar.updateEvent(created.url, ics('Counted again'), etag);
    await calendar.deleteEvent(created.url, updated.etag ?? (await calendar.getEvent(created.url)).etag!);
    expect(counted.requests.filter((request) => !request.endsWith(' /remote.php/dav/calendars/alice/personal/count-requests.ics'))).toEqual(
      [],
    );
    expect(counted.requests.filter((request) => request.startsWith('PUT ') || request.startsWith('DELETE '))).toEqual([
      'PUT /remote.php/dav/calendars/alice/personal/count-requests.ics',
      'PUT /remote.php/dav/calendars/alice/personal/count-requests.ics',
      'DELETE /remote.php/dav/calendars/alice/personal/count-requests.ics',
    ]);
  });
});

describe('the calendar list', () => {
  it('is read on every call by default', async () => {
    const counted = countingFetch();
    const calendar = client({ fetch: counted.fetch }).as('alice').calendar;
    await calendar.calendars();
    await calendar.calendars();
    expect(counted.requests).toHaveLength(2);
  });

  it('is reused within its TTL, as copies a caller cannot spoil', async () => {
    const counted = countingFetch();
    const calendar = client({ fetch: counted.fetch, calendarListTtlMs: 60_000 }).as('alice').calendar;
    const first = await calendar.calendars();
    first[0]!.displayName = 'changed by a caller';
    first[0]!.components.push('VTODO-BY-CALLER');
    const second = await calendar.calendars();
    expect(counted.requests).toEqual(['PROPFIND /remote.php/dav/calendars/alice/']);
    expect(second[0]!.displayName).not.toBe('changed by a caller');
    expect(second[0]!.components).not.toContain('VTODO-BY-CALLER');
  });

  it("is each user's own: bob never gets alice's list", async () => {
    const counted = countingFetch();
    const nextcloud = client({ fetch: counted.fetch, calendarListTtlMs: 60_000 });
    const alice = (await nextcloud.as('alice').calendar.calendars()).map((calendar) => calendar.url);
    const bob = (await nextcloud.as('bob').calendar.calendars()).map((calendar) => calendar.url);
    expect((await nextcloud.as('alice').calendar.calendars()).map((calendar) => calendar.url)).toEqual(alice);
    expect(bob.every((url) => url.includes('/remote.php/dav/calendars/bob/'))).toBe(true);
    expect(alice.every((url) => url.includes('/remote.php/dav/calendars/alice/'))).toBe(true);
    expect(counted.requests).toEqual(['PROPFIND /remote.php/dav/calendars/alice/', 'PROPFIND /remote.php/dav/calendars/bob/']);
  });

  it('is read once for calls that arrive while it is being read', async () => {
    const counted = countingFetch();
    const calendar = client({ fetch: counted.fetch, calendarListTtlMs: 60_000 }).as('alice').calendar;
    const lists = await Promise.all([calendar.calendars(), calendar.calendars(), calendar.calendars()]);
    expect(new Set(lists.map((list) => JSON.stringify(list))).size).toBe(1);
    expect(counted.requests).toHaveLength(1);
  });

  it('is read again once the TTL has passed', async () => {
    const counted = countingFetch();
    const calendar = client({ fetch: counted.fetch, calendarListTtlMs: 1000 }).as('alice').calendar;
    // The client's clock, moved by hand, so a slow listing cannot use up the TTL.
    let clock = 5_000_000;
    const now = vi.spyOn(performance, 'now').mockImplementation(() => clock);
    try {
      await calendar.calendars();
      clock += 999;
      await calendar.calendars();
      expect(counted.requests).toHaveLength(1);
      clock += 1;
      await calendar.calendars();
      expect(counted.requests).toHaveLength(2);
    } finally {
      now.mockRestore();
    }
  });

  it('is not kept when reading it failed', async () => {
    let failNext = true;
    const counted = countingFetch((method) => {
      if (method !== 'PROPFIND' || !failNext) return undefined;
      failNext = false;
      return new Response('down for maintenance', { status: 503, headers: { 'content-type': 'text/plain' } });
    });
    const calendar = client({ fetch: counted.fetch, calendarListTtlMs: 60_000 }).as('alice').calendar;
    expect((await failure(calendar.calendars())).code).toBe('unavailable');
    expect((await calendar.calendars()).length).toBeGreaterThan(0);
    await calendar.calendars();
    expect(counted.requests).toHaveLength(2);
  });

  it('is dropped when Nextcloud answers 404 or 403 for a calendar', async () => {
    const counted = countingFetch();
    const nextcloud = client({ fetch: counted.fetch, calendarListTtlMs: 60_000 });
    const calendar = nextcloud.as('alice').calendar;
    await calendar.calendars();
    expect((await failure(calendar.events('gone', range()))).code).toBe('not_found');
    await calendar.calendars();
    expect(counted.requests).toEqual([
      'PROPFIND /remote.php/dav/calendars/alice/',
      'REPORT /remote.php/dav/calendars/alice/gone/',
      'PROPFIND /remote.php/dav/calendars/alice/',
    ]);

    // bob's share of alice's team calendar is read-only: a write there is refused (403), which may mean the share changed.
    const bob = nextcloud.as('bob').calendar;
    const shared = (await bob.calendars()).find((entry) => entry.id === 'team_shared_by_alice')!;
    counted.requests.length = 0;
    const ics =
      'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\nBEGIN:VEVENT\r\nUID:refused\r\nDTSTAMP:20300101T000000Z\r\nDTSTART:20300101T100000Z\r\nDTEND:20300101T110000Z\r\nSUMMARY:Refused\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n';
    expect((await failure(bob.createEvent(shared, ics))).code).toBe('forbidden');
    await bob.calendars();
    expect(counted.requests.filter((request) => request.startsWith('PROPFIND'))).toEqual(['PROPFIND /remote.php/dav/calendars/bob/']);
  });
});
