// Runs one tool call: validates the arguments, runs the tool as the user, checks what it produced against its
// output schema, and turns refusals into tool results the model can act on (isError) instead of protocol errors.
import type { CallToolResult, InputRequiredResult } from '@modelcontextprotocol/server';
import { isInvalidArgumentError, isNextcloudError } from '../../lib/index.js';
import type { Tool, ToolContext } from '../tools/tool.js';
import { ToolError, isWriteTool } from '../tools/tool.js';
import { issuesText } from '../../lib/zod-issues.js';
import type { Checkpoint } from './confirmation.js';

export type CallOutcome = 'ok' | 'error' | 'failed';

export interface Execution {
  result: CallToolResult;
  /** Instead of a result: the question the person must answer before the call goes on (confirmation.ts). */
  question?: InputRequiredResult;
  outcome: CallOutcome;
  /** A short code for the audit log: the NextcloudError or ToolError code, invalid_input, or internal. */
  errorCode: string | null;
  /** An unexpected error, for the caller to log (never shown to the client). */
  internal?: unknown;
}

function errorResult(message: string): CallToolResult {
  return { isError: true, content: [{ type: 'text', text: message }] };
}

/**
 * Runs before the tool, with its checked arguments: whether the call may go on now, must ask the person first,
 * or stops with an answer of its own (confirmation.ts).
 */
export type CallGate = (input: unknown) => Promise<Checkpoint>;

export async function executeTool(tool: Tool, args: unknown, context: ToolContext, gate?: CallGate): Promise<Execution> {
  // Read-only mode already takes the write scopes out of every grant; refusing here as well keeps a write tool from
  // running with a policy that forbids it, whoever calls this.
  if (context.policy.readOnly && isWriteTool(tool)) {
    return {
      result: errorResult(`Refused: the administrator has made this connector read-only; ${tool.name} cannot change anything through it.`),
      outcome: 'error',
      errorCode: 'not_allowed',
    };
  }
  const parsed = tool.input.safeParse(args ?? {});
  if (!parsed.success) {
    return {
      result: errorResult(`Invalid arguments for ${tool.name}: ${issuesText(parsed.error.issues)}.`),
      outcome: 'error',
      errorCode: 'invalid_input',
    };
  }
  try {
    const checkpoint = gate ? await gate(parsed.data) : { kind: 'proceed' as const };
    if (checkpoint.kind === 'ask')
      return {
        result: errorResult('Waiting for the person to confirm.'),
        question: checkpoint.result,
        outcome: 'error',
        errorCode: 'confirmation_asked',
      };
    if (checkpoint.kind === 'stop') return { result: checkpoint.result, outcome: 'error', errorCode: checkpoint.code };
    const output = await tool.run(parsed.data, context);
    const checked = tool.output.safeParse(output.structured);
    if (!checked.success) {
      return {
        result: errorResult(`${tool.name} produced a result it could not describe; the app log has details.`),
        outcome: 'failed',
        errorCode: 'internal',
        internal: checked.error,
      };
    }
    const structuredContent = checked.data as Record<string, unknown>;
    const content = output.content ?? [{ type: 'text' as const, text: JSON.stringify(structuredContent) }, ...(output.extra ?? [])];
    return { result: { content, structuredContent }, outcome: 'ok', errorCode: null };
  } catch (error) {
    // Classified by where the error comes from, never by its JavaScript type: a TypeError from a bug is a bug.
    if (error instanceof ToolError) return { result: errorResult(error.message), outcome: 'error', errorCode: error.code };
    if (isNextcloudError(error)) return { result: errorResult(error.message), outcome: 'error', errorCode: error.code };
    if (context.signal.aborted) return { result: errorResult('The call was cancelled.'), outcome: 'error', errorCode: 'cancelled' };
    // lib refused an argument before sending anything (a malformed path, token or URL); the message is for the caller.
    if (isInvalidArgumentError(error)) return { result: errorResult(error.message), outcome: 'error', errorCode: 'invalid_input' };
    return {
      result: errorResult(`${tool.name} failed unexpectedly; the app log has details.`),
      outcome: 'failed',
      errorCode: 'internal',
      internal: error,
    };
  }
}
