// The one wording of schema problems: where, then what; the where left out when the message says it already.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { issueText, issuesText } from '../../lib/zod-issues.js';

const schema = z.object({
  client_name: z.string({ error: 'client_name must be a string' }),
  redirect_uris: z.array(z.string().url({ error: 'must be an absolute URL' })),
  limit: z.number().int().max(100),
});
const issues = (value: unknown) => schema.safeParse(value).error!.issues;

describe('schema problems in words', () => {
  it('names where each problem is, unless the message already starts with it', () => {
    const found = issues({ client_name: 1, redirect_uris: ['nope'], limit: 7 });
    expect(found.map((issue) => issueText(issue))).toEqual(['client_name must be a string', 'redirect_uris.0: must be an absolute URL']);
    expect(issueText(found[1]!, { field: (path) => `field "${path}"` })).toBe('field "redirect_uris.0" must be an absolute URL');
  });

  it('leaves the where out for a value without a path', () => {
    const [issue] = z.number().safeParse('x').error!.issues;
    expect(issueText(issue!)).toBe(issue!.message);
  });

  it('joins problems with semicolons and counts those beyond the maximum', () => {
    const found = issues({ client_name: 1, redirect_uris: ['a', 'b', 'c'], limit: 1000 });
    expect(found).toHaveLength(5);
    const all = issuesText(found);
    expect(all.split('; ')).toHaveLength(5);
    expect(issuesText(found, { max: 3 })).toBe(`${all.split('; ').slice(0, 3).join('; ')} (and 2 more problems)`);
    expect(issuesText(found, { max: 4 })).toMatch(/\(and 1 more problem\)$/);
    expect(issuesText([])).toBe('');
  });
});
