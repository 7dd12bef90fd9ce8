// A person's word before a call changes what cannot be undone (deleting, overwriting, sending to others), as
// the admin's confirmation setting asks. A client that can put a question to the person (MCP elicitation) always
// gets one, and only the person's answer lets the call run: no token skips it. Any other client gets the plan and
// a confirmation token as the call's answer, and the call runs only when it comes back with that token. There the
// model reads the token, so the client and the model are trusted to show the plan to the person first; what the
// token guarantees is that it confirms exactly what was shown: it is bound to the user, the client, the tool, the
// exact arguments and the plan's own words (a target that changed since reads differently), lives a few minutes
// and works once.
import { createHmac, randomBytes } from 'node:crypto';
import type { CallToolResult, InputRequiredResult, InputResponseView } from '@modelcontextprotocol/server';
import { inputRequired } from '@modelcontextprotocol/server';
import { secretsEqual } from '../core/secrets.js';
import type { ConfirmationMode } from '../policy/policy.js';
import type { Tool, ToolContext } from '../tools/tool.js';
import { isWriteTool } from '../tools/tool.js';

/** The argument that carries a confirmation token back; every write tool accepts it. */
export const CONFIRMATION_ARGUMENT = 'confirmationToken';

/** How long a person has to say yes to a plan. */
export const CONFIRMATION_SECONDS = 5 * 60;

/** The key of the one question this server asks through elicitation. */
const QUESTION = 'confirm';

/** What a call is bound to: who asks, through which client, which tool, with exactly which arguments. */
export interface CallBinding {
  userId: string;
  clientId: string;
  tool: string;
  input: unknown;
}

/** A binding together with what the person was shown. */
type Confirmed = CallBinding & { plan?: string };

export type Redemption = 'ok' | 'invalid' | 'expired' | 'used';

export interface ConfirmationTokens {
  issue(binding: Confirmed): string;
  redeem(token: string, binding: Confirmed): Redemption;
}

/** JSON with object keys sorted, so the same arguments always bind the same way. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonical(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * Tokens signed with a key of this process: they are short-lived, so a restart only asks the person again.
 * Each token's nonce is remembered until it expires, so a token confirms one call, not a series.
 */
export function confirmationTokens(options: { now?: () => number; key?: Buffer } = {}): ConfirmationTokens {
  const now = options.now ?? Date.now;
  const key = options.key ?? randomBytes(32);
  const used = new Map<string, number>();
  const sign = (expires: number, nonce: string, binding: Confirmed) =>
    createHmac('sha256', key)
      .update(canonical([expires, nonce, binding.userId, binding.clientId, binding.tool, binding.input, binding.plan ?? null]))
      .digest('base64url');
  const prune = () => {
    const seconds = now() / 1000;
    for (const [nonce, expires] of used) if (expires < seconds) used.delete(nonce);
  };
  return {
    issue(binding) {
      prune();
      const expires = Math.floor(now() / 1000) + CONFIRMATION_SECONDS;
      const nonce = randomBytes(12).toString('base64url');
      return `c1.${expires}.${nonce}.${sign(expires, nonce, binding)}`;
    },
    redeem(token, binding) {
      prune();
      const parts = token.split('.');
      if (parts.length !== 4 || parts[0] !== 'c1' || !/^\d{1,12}$/.test(parts[1]!)) return 'invalid';
      const [, expiresText, nonce, mac] = parts as [string, string, string, string];
      const expires = Number(expiresText);
      if (!secretsEqual(mac, sign(expires, nonce, binding))) return 'invalid';
      if (expires < now() / 1000) return 'expired';
      if (used.has(nonce)) return 'used';
      used.set(nonce, expires);
      return 'ok';
    },
  };
}

/**
 * What the person is asked to agree to for this call, or null when the admin's setting lets it run as it is:
 * never; only destructive calls (a tool's own plan says what would be lost, or a write tool marked destructive
 * that has no plan of its own); or every change.
 */
export async function planFor(tool: Tool, input: unknown, context: ToolContext, mode: ConfirmationMode): Promise<string | null> {
  if (mode === 'never' || !isWriteTool(tool)) return null;
  const own = tool.plan ? await tool.plan(input as never, context) : undefined;
  if (own) return own;
  if (own === null && mode === 'destructive') return null;
  if (mode === 'destructive' && !tool.annotations.destructiveHint) return null;
  return `${tool.title} (${tool.name}) with ${canonical(input)}.`;
}

/** How the person can be asked in this exchange. */
export interface Asking {
  /** Whether the client declared it can show the person a form (elicitation) and can answer in this exchange. */
  canElicit: boolean;
  /** The answer to an earlier question, when this is the retried call (2026-07-28 and the SDK's 2025 shim). */
  answer: InputResponseView;
  /** The state the retried call echoes back. */
  state: string | undefined;
  /** The confirmation token the call's arguments carried. */
  token: string | undefined;
}

/** What the call does instead of running, or nothing (`proceed`). */
export type Checkpoint =
  | { kind: 'proceed' }
  | { kind: 'ask'; result: InputRequiredResult }
  | { kind: 'stop'; result: CallToolResult; code: 'confirmation_required' | 'declined' | 'cancelled' | 'confirmation_invalid' };

function refusal(text: string): CallToolResult {
  return { isError: true, content: [{ type: 'text', text }] };
}

/** Decides, for a call whose plan needs the person's word, whether it runs now, asks, or stops. */
export function checkpoint(plan: string, call: CallBinding, asking: Asking, tokens: ConfirmationTokens): Checkpoint {
  const { tool } = call;
  const binding: Confirmed = { ...call, plan };
  // Where the person can be asked, they are: a token (made up, or issued for a client that could not ask) counts
  // for nothing there.
  if (asking.token !== undefined && !asking.canElicit) {
    const redeemed = tokens.redeem(asking.token, binding);
    if (redeemed === 'ok') return { kind: 'proceed' };
    const why =
      redeemed === 'expired'
        ? 'it has expired'
        : redeemed === 'used'
          ? 'it was already used'
          : 'it was not issued for this call (the arguments, the tool or the account differ, or what the call would change is no longer what was shown)';
    return {
      kind: 'stop',
      code: 'confirmation_invalid',
      result: refusal(
        `Nothing was changed: the confirmation token is not valid because ${why}. ${offer(plan, tool, tokens.issue(binding))}`,
      ),
    };
  }
  // A question's state is signed for the question alone, so it cannot stand in for a confirmation token.
  const question = { ...binding, tool: `question:${tool}` };
  if (asking.state !== undefined && asking.answer.kind === 'elicit') {
    // The state is the token issued with the question: it proves the answer is to this call's question.
    if (tokens.redeem(asking.state, question) !== 'ok')
      return {
        kind: 'stop',
        code: 'confirmation_invalid',
        result: refusal('Nothing was changed: the answer does not belong to this call (it expired or the arguments differ). Try again.'),
      };
    const { action, content } = asking.answer;
    if (action === 'accept' && content?.[QUESTION] === true) return { kind: 'proceed' };
    if (action === 'cancel')
      return {
        kind: 'stop',
        code: 'cancelled',
        result: refusal(`Nothing was changed: the person dismissed the question without answering. ${plan}`),
      };
    return { kind: 'stop', code: 'declined', result: refusal(`Nothing was changed: the person declined. ${plan}`) };
  }
  if (asking.canElicit) {
    return {
      kind: 'ask',
      result: inputRequired({
        inputRequests: {
          [QUESTION]: inputRequired.elicit({
            message: `${plan}\n\nGo ahead?`,
            requestedSchema: {
              type: 'object',
              properties: {
                [QUESTION]: {
                  type: 'boolean',
                  title: 'Go ahead',
                  description: 'Tick to let the change be made as described.',
                  default: false,
                },
              },
              required: [QUESTION],
            },
          }),
        },
        requestState: tokens.issue(question),
      }),
    };
  }
  return {
    kind: 'stop',
    code: 'confirmation_required',
    result: refusal(`Confirmation needed. ${offer(plan, tool, tokens.issue(binding))}`),
  };
}

function offer(plan: string, tool: string, token: string): string {
  return (
    `${plan}\n\nNothing has been changed yet. Ask the person whether to go ahead. Only if they agree, call ${tool} again with ` +
    `exactly the same arguments plus "${CONFIRMATION_ARGUMENT}": "${token}" (valid for ${CONFIRMATION_SECONDS / 60} minutes, once).`
  );
}
