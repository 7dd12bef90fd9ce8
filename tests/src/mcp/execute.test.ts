// How a tool call's failure is classified, by where it comes from: the caller's arguments (invalid_input), Nextcloud
// (its error code), or the app itself (failed/internal, whatever the JavaScript type of the error).
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { NextcloudUserClient } from '../../../lib/index.js';
import { InvalidArgumentError, NextcloudError } from '../../../lib/index.js';
import { executeTool } from '../../../src/mcp/execute.js';
import { SCOPES } from '../../../src/core/scopes.js';
import { DEFAULT_POLICY } from '../../../src/policy/policy.js';
import { allTools } from '../../../src/tools/index.js';
import type { Tool, ToolContext } from '../../../src/tools/tool.js';
import { READS_ONLY, defineTool } from '../../../src/tools/tool.js';

/** A user client whose every use is a mistake of the test: argument checks must refuse before reaching it. */
const untouchable = new Proxy({} as NextcloudUserClient, {
  get: (_target, property) => {
    throw new Error(`the tool reached Nextcloud (${String(property)}) with arguments it should have refused`);
  },
});

function context(user: NextcloudUserClient = untouchable): ToolContext {
  return {
    user,
    userId: 'alice',
    clientId: 'test-client',
    scopes: [...SCOPES],
    policy: DEFAULT_POLICY,
    webRoot: 'https://cloud.example.com',
    signal: new AbortController().signal,
    progress: async () => {},
    audit: () => {},
  };
}

const failing = (error: unknown) =>
  defineTool({
    name: 'failing',
    title: 'Fails',
    description: 'Throws what the test gives it.',
    scopes: { allOf: ['files.read'] },
    input: z.object({}),
    output: z.object({}),
    annotations: READS_ONLY,
    async run() {
      throw error;
    },
  });

const textOf = (result: { content: Array<{ type: string; text?: string }> }) => result.content[0]?.text ?? '';

describe('classifying failures', () => {
  it('reports a TypeError from a bug in a tool as a failure of the app, not as bad input', async () => {
    const bug = (() => {
      try {
        (undefined as unknown as { name: string }).name.trim();
      } catch (error) {
        return error;
      }
    })();
    expect(bug).toBeInstanceOf(TypeError);
    const execution = await executeTool(failing(bug), {}, context());
    expect(execution).toMatchObject({ outcome: 'failed', errorCode: 'internal' });
    expect(textOf(execution.result)).toBe('failing failed unexpectedly; the app log has details.');
    expect(execution.internal).toBe(bug);
  });

  it("reports lib's argument checks as invalid input, with lib's message", async () => {
    const execution = await executeTool(failing(new InvalidArgumentError('The path "/a/../b" may not contain "..".')), {}, context());
    expect(execution).toMatchObject({ outcome: 'error', errorCode: 'invalid_input' });
    expect(textOf(execution.result)).toBe('The path "/a/../b" may not contain "..".');
  });

  it("reports Nextcloud's bad answers as Nextcloud errors", async () => {
    const truncated = new NextcloudError({
      code: 'protocol',
      method: 'PROPFIND',
      path: '/remote.php/dav/files/alice/',
      message: 'Nextcloud answered PROPFIND / in an unexpected way: XML that is malformed or cut off.',
    });
    const execution = await executeTool(failing(truncated), {}, context());
    expect(execution).toMatchObject({ outcome: 'error', errorCode: 'protocol' });
    expect(textOf(execution.result)).toContain('Nextcloud answered PROPFIND / in an unexpected way');
  });
});

describe('arguments that are not well-formed Unicode', () => {
  const byName = new Map(allTools.map((tool) => [tool.name, tool as Tool]));
  const broken = '/Documents/\uD800.txt';
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['files_list', { path: broken }, 'path'],
    ['files_stat', { path: broken }, 'path'],
    ['files_read', { path: broken }, 'path'],
    ['files_search', { nameContains: 'a\uDC00', under: '/' }, 'nameContains'],
    ['files_search', { under: broken }, 'under'],
    ['files_write_text', { path: broken, content: 'x' }, 'path'],
    ['files_create_folder', { path: broken }, 'path'],
    ['files_move', { from: '/Readme.md', to: broken }, 'to'],
    ['files_copy', { from: broken, to: '/Copy.md' }, 'from'],
    ['files_delete', { path: broken }, 'path'],
    ['calendar_list_events', { calendarId: 'personal\uD800' }, 'calendarId'],
    ['calendar_get_event', { id: 'personal/\uD800.ics' }, 'id'],
    ['calendar_delete_event', { id: 'personal/\uD800.ics' }, 'id'],
    ['fetch', { id: 'file:/\uD800' }, 'id'],
    ['search', { query: 'budget \uD800' }, 'query'],
    ['talk_search_messages', { term: 'x\uDBFF' }, 'term'],
  ];

  it.each(cases)('%s refuses them up front, naming the argument', async (name, args, field) => {
    const tool = byName.get(name);
    expect(tool, name).toBeDefined();
    const execution = await executeTool(tool!, args, context());
    expect(execution).toMatchObject({ outcome: 'error', errorCode: 'invalid_input' });
    expect(textOf(execution.result)).toMatch(new RegExp(`${field}: .*broken character`));
  });
});
