// lib/ against a Nextcloud that answers badly: an HTML page, random bytes or a cut-off answer must end every call
// that reads a listing as a protocol error saying what was wrong, never as an empty or partial result. And a unit of
// work (one incoming request) waits for an unreachable Nextcloud at most once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Nextcloud } from '../../lib/index.js';
import { InvalidArgumentError, NextcloudError, normalizePath, withSingleTimeout } from '../../lib/index.js';
import { parseMultistatus } from '../../lib/dav-xml.js';
import type { Simulator } from '../nextcloud-sim/index.js';
import type { FaultProxy } from '../support/fault-proxy.js';
import { startFaultProxy } from '../support/fault-proxy.js';
import type { LibFixture } from '../support/lib-fixture.js';
import { failure, startLibFixture } from '../support/lib-fixture.js';

const TIMEOUT_MS = 800;
const DAY = 86_400_000;

let sim: Simulator;
let proxy: FaultProxy;
let nextcloud: Nextcloud;
let fixture: LibFixture;

beforeAll(async () => {
  fixture = await startLibFixture({ dav: true });
  sim = fixture.sim;
  proxy = await startFaultProxy(sim.url);
  nextcloud = fixture.client({ baseUrl: proxy.url, timeoutMs: TIMEOUT_MS });
  // Discovery of alice's calendar home is remembered; the calls below then go straight to the calendar.
  await nextcloud.as('alice').calendar.calendars();
});
afterAll(async () => {
  await proxy?.close();
  await sim?.stop();
});

const range = () => ({ start: new Date(Date.now() - DAY), end: new Date(Date.now() + 30 * DAY) });

describe.each(['html', 'garbage', 'truncate'] as const)('a Nextcloud that answers with %s', (mode) => {
  beforeAll(() => proxy.set(mode));
  afterAll(() => proxy.set('pass'));

  const protocolError = async (call: Promise<unknown>, request: RegExp) => {
    const error = await failure(call);
    expect(error.code).toBe('protocol');
    expect(error.message).toMatch(/Nextcloud answered .* in an unexpected way/);
    expect(error.message).toMatch(request);
    return error;
  };

  it('fails a folder listing, a stat and a file search instead of reporting nothing', async () => {
    const listing = await protocolError(nextcloud.as('alice').files.list('/Documents'), /PROPFIND \/Documents/);
    if (mode === 'html') expect(listing.message).toContain('200 with text/html instead of a WebDAV multistatus');
    if (mode === 'truncate') expect(listing.message).toMatch(/malformed or cut off/);
    await protocolError(nextcloud.as('alice').files.stat('/Readme.md'), /PROPFIND \/Readme\.md/);
    await protocolError(nextcloud.as('alice').files.search({ nameContains: 'Readme' }), /SEARCH/);
  });

  it('fails a calendar listing and an event query', async () => {
    await protocolError(nextcloud.as('alice').calendar.calendars(), /PROPFIND/);
    await protocolError(nextcloud.as('alice').calendar.events('personal', range()), /REPORT .*personal/);
  });

  it('fails CalDAV discovery with what went wrong', async () => {
    const fresh = fixture.client({ baseUrl: proxy.url, timeoutMs: TIMEOUT_MS });
    const error = await failure(fresh.as('bob').calendar.calendars());
    expect(error.code).toBe('protocol');
    expect(error.message).toMatch(/CalDAV discovery for bob failed/);
  });

  it('fails OCS calls (unified search, Talk, the user) naming what came back', async () => {
    const searched = await protocolError(
      nextcloud.as('alice').search('files', { term: 'Readme' }),
      /GET \/ocs\/v2\.php\/search\/providers\/files\/search/,
    );
    if (mode === 'html') expect(searched.message).toContain('200 with text/html instead of an OCS JSON envelope');
    await protocolError(nextcloud.as('alice').talk.conversations(), /spreed/);
    await protocolError(nextcloud.as('alice').currentUser(), /cloud\/user/);
  });
});

describe('writes that Nextcloud answers with a page instead of doing them', () => {
  beforeAll(() => proxy.set('html'));
  afterAll(() => proxy.set('pass'));

  it('are not reported as done', async () => {
    const files = nextcloud.as('alice').files;
    expect((await failure(files.write('/fault-write.txt', 'x'))).code).toBe('protocol');
    expect((await failure(files.mkdir('/fault-folder'))).code).toBe('protocol');
    expect((await failure(files.delete('/Readme.md'))).code).toBe('protocol');
    expect((await failure(files.move('/Readme.md', '/Moved.md'))).code).toBe('protocol');
    expect((await failure(files.copy('/Readme.md', '/Copied.md'))).code).toBe('protocol');
  });
});

describe('strict multistatus parsing', () => {
  const whole = `<?xml version="1.0"?><d:multistatus xmlns:d="DAV:"><d:response><d:href>/remote.php/dav/files/alice/a</d:href><d:propstat><d:prop><d:getetag>"1"</d:getetag></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response><d:response><d:href>/remote.php/dav/files/alice/b</d:href></d:response></d:multistatus>`;

  it('reads a whole answer', () => {
    expect(parseMultistatus(whole).map((entry) => entry.href)).toEqual(['/remote.php/dav/files/alice/a', '/remote.php/dav/files/alice/b']);
  });

  it('refuses a cut-off answer, another document and an empty body', () => {
    for (const cut of [whole.slice(0, whole.indexOf('<d:response>', 100)), whole.slice(0, 60), '<html><body>Login</body></html>', '']) {
      expect(() => parseMultistatus(cut)).toThrow(NextcloudError);
    }
  });
});

describe('paths that are not well-formed Unicode', () => {
  it('are refused as invalid arguments, not crashes', async () => {
    expect(() => normalizePath('/Documents/\uD800.txt')).toThrow(InvalidArgumentError);
    const files = nextcloud.as('alice').files;
    for (const call of [
      files.list('/\uD800'),
      files.stat('/a\uDC00b'),
      files.readText('/\uD800', { maxBytes: 10 }),
      files.write('/\uD800.txt', 'x'),
      files.search({ under: '/\uD800' }),
    ]) {
      await expect(call).rejects.toThrow(InvalidArgumentError);
    }
    await expect(nextcloud.as('alice').calendar.events('/remote.php/dav/calendars/alice/\uD800/', range())).rejects.toThrow(
      InvalidArgumentError,
    );
    await expect(nextcloud.as('alice').search('files', { term: 'budget \uD800' })).rejects.toThrow(InvalidArgumentError);
    await expect(nextcloud.as('alice').talk.send('alicebob1', 'hello \uDC00')).rejects.toThrow(InvalidArgumentError);
    expect(() => nextcloud.as('ali\uD800ce')).toThrow(InvalidArgumentError);
  });
});

describe('one timeout per unit of work', () => {
  afterAll(() => proxy.set('pass'));

  it('does not wait again for a Nextcloud that just timed out within the same unit', async () => {
    proxy.set('stall');
    await withSingleTimeout(async () => {
      expect((await failure(nextcloud.as('alice').currentUser())).code).toBe('timeout');
      // Not sent at all: the answer says why instead of a second timeout.
      const error = await failure(nextcloud.as('alice').files.list('/'));
      expect(error.code).toBe('unavailable');
      expect(error.message).toMatch(
        /Nextcloud is not answering: a request got no answer within 800 ms a moment ago, so PROPFIND \/ was not sent/,
      );
    });
    // A new unit tries (and waits) again.
    await withSingleTimeout(async () => expect((await failure(nextcloud.as('alice').groups())).code).toBe('timeout'));
    // Outside any unit nothing is held back either.
    expect((await failure(nextcloud.as('alice').groups())).code).toBe('timeout');
  });

  it('lets a unit wait again once Nextcloud answered since', async () => {
    proxy.set('stall');
    let timedOut!: () => void;
    let goOn!: () => void;
    const reached = new Promise<void>((resolve) => (timedOut = resolve));
    const gate = new Promise<void>((resolve) => (goOn = resolve));
    const unit = withSingleTimeout(async () => {
      expect((await failure(nextcloud.as('alice').currentUser())).code).toBe('timeout');
      timedOut();
      await gate;
      return nextcloud.as('alice').currentUser();
    });
    await reached;
    proxy.set('pass');
    // Outside the unit something reaches Nextcloud again, which proves it is back.
    await nextcloud.as('bob').currentUser();
    goOn();
    expect((await unit).id).toBe('alice');
  });
});
