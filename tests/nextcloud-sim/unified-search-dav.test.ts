// The files and calendar search providers, answered from the SabreDAV data with each user's visibility.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from './index.js';
import { startSimulator } from './index.js';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(() => sim?.stop());

const search = async (user: string, provider: string, query: string) => {
  const response = await fetch(`${sim.url}/ocs/v2.php/search/providers/${provider}/search?${query}`, {
    headers: {
      authorization: `Basic ${Buffer.from(`${user}:${user}`).toString('base64')}`,
      'ocs-apirequest': 'true',
      accept: 'application/json',
    },
  });
  expect(response.status).toBe(200);
  return (
    (await response.json()) as { ocs: { data: { entries: { title: string; attributes: Record<string, string> | [] }[]; cursor: unknown } } }
  ).ocs.data;
};

describe('files and calendar providers', () => {
  it("finds files in the user's own tree and in shares, with paths in the user's namespace", async () => {
    const bob = await search('bob', 'files', 'term=roadmap');
    expect(bob.entries.map((entry) => entry.attributes)).toEqual([expect.objectContaining({ path: '/Shared/Plans/Roadmap.md' })]);
    const alice = await search('alice', 'files', 'term=roadmap');
    expect(alice.entries.map((entry) => entry.attributes)).toEqual([expect.objectContaining({ path: '/Plans/Roadmap.md' })]);
    expect((await search('carol', 'files', 'term=roadmap')).entries).toEqual([]);
    expect((await search('alice', 'files', 'term=secret')).entries).toEqual([]);
  });

  it('pages with limit and cursor', async () => {
    const first = await search('alice', 'files', 'term=e&limit=2');
    expect(first.entries).toHaveLength(2);
    expect(first.cursor).toBe(2);
    const second = await search('alice', 'files', 'term=e&limit=2&cursor=2');
    expect(second.entries[0]!.title).not.toBe(first.entries[0]!.title);
  });

  it('finds events in own and shared calendars, never in deleted ones', async () => {
    expect((await search('bob', 'calendar', 'term=offsite')).entries.map((entry) => entry.title)).toEqual(['Team offsite']);
    expect((await search('carol', 'calendar', 'term=offsite')).entries).toEqual([]);
    const all = await search('alice', 'calendar', 'term=&limit=25');
    expect(all.entries.map((entry) => entry.title)).not.toContain('Old project retrospective');
    expect(all.entries.map((entry) => entry.title)).toEqual(expect.arrayContaining(['Dentist appointment', 'Project kickoff']));
  });
});
