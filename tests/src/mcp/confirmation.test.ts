// Confirmation tokens and plans on their own: what a token is bound to, how long it lives, that it works once, and
// which calls the admin's setting holds up for the person.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { CallBinding } from '../../../src/mcp/confirmation.js';
import { CONFIRMATION_SECONDS, checkpoint, confirmationTokens, planFor } from '../../../src/mcp/confirmation.js';
import type { Tool, ToolContext } from '../../../src/tools/tool.js';
import { allTools } from '../../../src/tools/index.js';
import { READS_ONLY, defineTool, isWriteTool } from '../../../src/tools/tool.js';

const binding: CallBinding = { userId: 'alice', clientId: 'client-1', tool: 'files_delete', input: { path: '/a.txt', recursive: false } };
const asking = { canElicit: false, answer: { kind: 'missing' as const }, state: undefined, token: undefined };

describe('confirmation tokens', () => {
  it('confirm exactly the call they were issued for: user, client, tool and arguments', () => {
    const tokens = confirmationTokens();
    for (const other of [
      { ...binding, userId: 'bob' },
      { ...binding, clientId: 'client-2' },
      { ...binding, tool: 'files_move' },
      { ...binding, input: { path: '/b.txt', recursive: false } },
      { ...binding, input: { path: '/a.txt', recursive: true } },
      { ...binding, input: { path: '/a.txt' } },
    ]) {
      expect(tokens.redeem(tokens.issue(binding), other)).toBe('invalid');
    }
    // Key order does not make arguments different.
    expect(tokens.redeem(tokens.issue(binding), { ...binding, input: { recursive: false, path: '/a.txt' } })).toBe('ok');
  });

  it('work once, expire after their lifetime, and are refused when forged or issued by another process', () => {
    let now = 1_000_000_000_000;
    const tokens = confirmationTokens({ now: () => now });
    const token = tokens.issue(binding);
    expect(tokens.redeem(token, binding)).toBe('ok');
    expect(tokens.redeem(token, binding)).toBe('used');

    const late = tokens.issue(binding);
    now += CONFIRMATION_SECONDS * 1000 + 1000;
    expect(tokens.redeem(late, binding)).toBe('expired');

    const fresh = tokens.issue(binding);
    const [version, expires, nonce, mac] = fresh.split('.');
    expect(tokens.redeem(`${version}.${Number(expires) + 3600}.${nonce}.${mac}`, binding)).toBe('invalid');
    expect(tokens.redeem(`${version}.${expires}.${nonce}x.${mac}`, binding)).toBe('invalid');
    expect(tokens.redeem('', binding)).toBe('invalid');
    expect(tokens.redeem('c1.1.2', binding)).toBe('invalid');
    expect(confirmationTokens({ now: () => now }).redeem(fresh, binding)).toBe('invalid');
    expect(tokens.redeem(fresh, binding)).toBe('ok');
  });

  it('confirm only the plan that was shown: a target that changed since reads differently and needs a new yes', () => {
    const tokens = confirmationTokens();
    const shown = checkpoint('Deletes the file /a.txt (12 bytes).', binding, asking, tokens);
    expect(shown).toMatchObject({ kind: 'stop', code: 'confirmation_required' });
    const shownText = shown.kind === 'stop' ? (shown.result.content[0] as { text: string }).text : '';
    const token = /"confirmationToken": "([^"]+)"/.exec(shownText)?.[1];
    expect(token).toBeTruthy();
    const changed = checkpoint('Deletes the file /a.txt (9,000 bytes).', binding, { ...asking, token }, tokens);
    expect(changed).toMatchObject({ kind: 'stop', code: 'confirmation_invalid' });
    expect(checkpoint('Deletes the file /a.txt (12 bytes).', binding, { ...asking, token }, tokens)).toEqual({ kind: 'proceed' });
  });

  it('count for nothing where the person can be asked: the question is put all the same', () => {
    const tokens = confirmationTokens();
    const token = tokens.issue({ ...binding, plan: 'Deletes /a.txt.' });
    expect(checkpoint('Deletes /a.txt.', binding, { ...asking, canElicit: true, token }, tokens).kind).toBe('ask');
    expect(checkpoint('Deletes /a.txt.', binding, { ...asking, canElicit: true, token: 'c1.1.x.y' }, tokens).kind).toBe('ask');
  });

  it('let an answered question go on only once, and stop on decline or cancel with their own codes', () => {
    const tokens = confirmationTokens();
    const asked = checkpoint('Deletes /a.txt.', binding, { ...asking, canElicit: true }, tokens);
    const state = asked.kind === 'ask' ? asked.result.requestState! : '';
    const answered = (action: 'accept' | 'decline' | 'cancel', confirm?: boolean) =>
      checkpoint(
        'Deletes /a.txt.',
        binding,
        {
          ...asking,
          canElicit: true,
          state,
          answer: { kind: 'elicit', action, ...(confirm === undefined ? {} : { content: { confirm } }) },
        },
        tokens,
      );
    expect(answered('accept', true)).toEqual({ kind: 'proceed' });
    // The same answer again (a replayed retry) is no second yes.
    expect(answered('accept', true)).toMatchObject({ kind: 'stop', code: 'confirmation_invalid' });
    const again = checkpoint('Deletes /a.txt.', binding, { ...asking, canElicit: true }, tokens);
    const fresh = again.kind === 'ask' ? again.result.requestState! : '';
    const answer = (action: 'accept' | 'decline' | 'cancel', content?: Record<string, unknown>) =>
      checkpoint(
        'Deletes /a.txt.',
        binding,
        { ...asking, canElicit: true, state: fresh, answer: { kind: 'elicit', action, ...(content ? { content } : {}) } },
        tokens,
      );
    expect(answer('decline')).toMatchObject({ kind: 'stop', code: 'declined' });
    const third = checkpoint('Deletes /a.txt.', binding, { ...asking, canElicit: true }, tokens);
    const cancelState = third.kind === 'ask' ? third.result.requestState! : '';
    expect(
      checkpoint(
        'Deletes /a.txt.',
        binding,
        { ...asking, canElicit: true, state: cancelState, answer: { kind: 'elicit', action: 'cancel' } },
        tokens,
      ),
    ).toMatchObject({ kind: 'stop', code: 'cancelled' });
  });

  it("cannot be swapped with a question's state: each is signed for its own purpose", () => {
    const tokens = confirmationTokens();
    const asked = checkpoint('Deletes /a.txt.', binding, { ...asking, canElicit: true }, tokens);
    expect(asked.kind).toBe('ask');
    const state = asked.kind === 'ask' ? asked.result.requestState! : '';
    const misuse = checkpoint('Deletes /a.txt.', binding, { ...asking, token: state }, tokens);
    expect(misuse).toMatchObject({ kind: 'stop', code: 'confirmation_invalid' });
    // And an answer cannot come with a state the server did not issue for this question.
    const confirmed = checkpoint(
      'Deletes /a.txt.',
      binding,
      {
        ...asking,
        canElicit: true,
        state: tokens.issue(binding),
        answer: { kind: 'elicit', action: 'accept', content: { confirm: true } },
      },
      tokens,
    );
    expect(confirmed).toMatchObject({ kind: 'stop', code: 'confirmation_invalid' });
  });
});

describe('plans', () => {
  it('exist for every built-in tool that can destroy or send, so the person reads what it does, not its arguments', () => {
    const destructive = allTools.filter(
      (tool) => isWriteTool(tool) && (tool.annotations.destructiveHint || tool.annotations.openWorldHint),
    );
    expect(destructive.map((tool) => tool.name)).toEqual(expect.arrayContaining(['files_delete', 'notes_delete', 'talk_send_message']));
    expect(destructive.filter((tool) => !tool.plan).map((tool) => tool.name)).toEqual([]);
  });

  const context = {} as ToolContext;
  const tool = (fields: Partial<Tool>): Tool =>
    defineTool({
      name: 'sample_write',
      title: 'Sample',
      description: '',
      scopes: { allOf: ['files.write'] },
      input: z.object({ path: z.string() }),
      output: z.object({}),
      annotations: { ...READS_ONLY, readOnlyHint: false },
      run: async () => ({ structured: {} }),
      ...fields,
    } as Tool);

  it("follow the admin's setting: never, destructive only, always", async () => {
    const ownPlan = tool({ plan: async () => 'Deletes /x.' });
    const nothingLost = tool({ plan: async () => null });
    const markedDestructive = tool({ annotations: { ...READS_ONLY, readOnlyHint: false, destructiveHint: true } });
    const plain = tool({});
    const reading = tool({ scopes: { allOf: ['files.read'] }, plan: async () => 'never asked' });
    const input = { path: '/x' };

    for (const candidate of [ownPlan, nothingLost, markedDestructive, plain, reading])
      expect(await planFor(candidate, input, context, 'never')).toBeNull();

    expect(await planFor(ownPlan, input, context, 'destructive')).toBe('Deletes /x.');
    expect(await planFor(nothingLost, input, context, 'destructive')).toBeNull();
    expect(await planFor(markedDestructive, input, context, 'destructive')).toBe('Sample (sample_write) with {"path":"/x"}.');
    expect(await planFor(plain, input, context, 'destructive')).toBeNull();
    expect(await planFor(reading, input, context, 'destructive')).toBeNull();

    expect(await planFor(ownPlan, input, context, 'always')).toBe('Deletes /x.');
    expect(await planFor(nothingLost, input, context, 'always')).toBe('Sample (sample_write) with {"path":"/x"}.');
    expect(await planFor(plain, input, context, 'always')).toBe('Sample (sample_write) with {"path":"/x"}.');
    expect(await planFor(reading, input, context, 'always')).toBeNull();
  });
});
