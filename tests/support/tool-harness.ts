// Runs tools the way the MCP layer does (src/mcp/execute.ts), as a simulator user, without a transport in
// between: for tests of what each tool does. Transport, scopes and OAuth are tested through the proxy elsewhere.
import type { CallToolResult } from '@modelcontextprotocol/server';
import type { Nextcloud } from '../../lib/index.js';
import { executeTool } from '../../src/mcp/execute.js';
import { SCOPES } from '../../src/core/scopes.js';
import type { Scope } from '../../src/core/scopes.js';
import type { Policy } from '../../src/policy/policy.js';
import { DEFAULT_POLICY } from '../../src/policy/policy.js';
import type { Tool } from '../../src/tools/tool.js';

export interface ToolCall {
  result: CallToolResult;
  /** structuredContent of a successful call. */
  structured: Record<string, unknown> | undefined;
  /** The text of the first content block (the error message when isError). */
  text: string;
  isError: boolean;
  audited: string[];
  progress: Array<{ progress: number; total?: number; message?: string }>;
}

export interface ToolHarness {
  call(
    tool: Tool,
    args: unknown,
    options?: { user?: string; scopes?: Scope[]; policy?: Partial<Policy>; signal?: AbortSignal },
  ): Promise<ToolCall>;
}

export function toolHarness(
  nextcloud: Nextcloud,
  webRoot: string,
  defaults: { user?: string; policy?: Partial<Policy> } = {},
): ToolHarness {
  return {
    async call(tool, args, options = {}) {
      const userId = options.user ?? defaults.user ?? 'alice';
      const audited: string[] = [];
      const progress: ToolCall['progress'] = [];
      const execution = await executeTool(tool, args, {
        user: nextcloud.as(userId),
        userId,
        clientId: 'test-client',
        scopes: options.scopes ?? [...SCOPES],
        policy: { ...DEFAULT_POLICY, ...defaults.policy, ...options.policy },
        webRoot,
        signal: options.signal ?? new AbortController().signal,
        progress: async (value, total, message) => void progress.push({ progress: value, total, message }),
        audit: (target) => void audited.push(target),
      });
      if (execution.internal) throw execution.internal;
      const first = execution.result.content[0];
      return {
        result: execution.result,
        structured: execution.result.structuredContent as Record<string, unknown> | undefined,
        text: first?.type === 'text' ? first.text : '',
        isError: execution.result.isError === true,
        audited,
        progress,
      };
    },
  };
}
