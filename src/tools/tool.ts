// What a tool is: a name, the scopes it needs, zod schemas for its input and its structured output, the
// annotations clients show to people, and a function that runs as the verified user. The MCP layer (src/mcp)
// lists, checks, runs and audits tools; a tool module knows nothing about transports, tokens or sessions.
import { z } from 'zod';
import type { NextcloudUserClient } from '../../lib/index.js';
import { isWellFormedText } from '../../lib/index.js';
import type { Scope } from '../core/scopes.js';
import { WRITE_SCOPES } from '../core/scopes.js';
import type { Policy } from '../policy/policy.js';

export interface ToolAnnotations {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

/**
 * For `.refine(...WELL_FORMED)` on text a tool sends on: a lone UTF-16 surrogate survives no URL, header or body
 * to Nextcloud unchanged, so it is refused with the argument's name instead of failing (or being altered) later.
 */
export const WELL_FORMED = [
  isWellFormedText,
  'contains a broken character (a lone UTF-16 surrogate); send it as valid Unicode text',
] as const;

/** What an etag looks like (HTTP allows only visible ASCII in one); anything else could not be sent as a header. */
export const ETAG_TEXT = /^[\x20-\x7e]+$/;

/** An etag argument: one the named tools returned, refused in words before it could break a header. */
export function etagField(returnedBy: string) {
  return z.string().trim().min(1).max(200).regex(ETAG_TEXT, `is not an etag as ${returnedBy} return it (visible ASCII only)`);
}

/** A tool that only reads the user's own Nextcloud: the annotations of most tools. */
export const READS_ONLY: ToolAnnotations = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };

/** A refusal the model and the person can act on; becomes a tool result with isError, never a protocol error. */
export class ToolError extends Error {
  override readonly name = 'ToolError';
  constructor(
    readonly code: 'invalid_input' | 'not_allowed' | 'not_found' | 'conflict' | 'too_large' | 'unsupported',
    message: string,
  ) {
    super(message);
  }
}

export interface ToolContext {
  /** Nextcloud, acting as the verified user: every call is subject to Nextcloud's own ACLs and shares. */
  user: NextcloudUserClient;
  userId: string;
  clientId: string;
  /** The scopes this request's grant carries (already within the admin's ceiling). */
  scopes: readonly Scope[];
  /**
   * The account as Nextcloud described it when this request's token was checked (at most the policy TTL old), when
   * the caller has it; otherwise ask `user.currentUser()`.
   */
  account?: { id: string; displayName: string; email: string | null };
  /** The admin policy in force for this request (folder allowlist, read-only mode, ...). */
  policy: Policy;
  /** Nextcloud's web root as people reach it, for links into the Nextcloud UI (e.g. https://cloud.example.com). */
  webRoot: string;
  /** Aborted when the client cancels the call or goes away. */
  signal: AbortSignal;
  /**
   * Reports progress to a client that asked for it (a progress token); a no-op otherwise. `progress` must grow
   * from call to call; `total` when known.
   */
  progress(progress: number, total?: number, message?: string): Promise<void>;
  /** Names what the call touched (a path, an event URL, a conversation token) for the audit log; never content. */
  audit(target: string): void;
}

/** Extra content blocks a tool may add after the JSON text of its structured result (e.g. resource links). */
export type ExtraContent =
  | { type: 'text'; text: string }
  | { type: 'resource_link'; uri: string; name: string; title?: string; mimeType?: string; size?: number; description?: string };

export interface ToolOutput<Output> {
  structured: Output;
  /**
   * The content blocks, when the tool needs an exact shape (ChatGPT's search and fetch). Otherwise the content is
   * one text block with the JSON of `structured`, followed by `extra`.
   */
  content?: ExtraContent[];
  extra?: ExtraContent[];
}

export interface Tool<Input extends z.ZodObject = z.ZodObject, Output extends z.ZodObject = z.ZodObject> {
  name: string;
  title: string;
  /** Written for the model: what it does, when to use it, what the arguments mean. */
  description: string;
  /**
   * The scopes that make the tool available. With `anyOf`, one of them is enough (search and fetch read what the
   * grant may read); otherwise every listed scope is needed.
   */
  scopes: { allOf: readonly Scope[] } | { anyOf: readonly Scope[] };
  input: Input;
  output: Output;
  annotations: ToolAnnotations;
  /**
   * The Nextcloud app the tool works with, when it is not part of every Nextcloud (Files, Calendar and search are):
   * the tool is listed and callable only for users that app is enabled for.
   */
  app?: NextcloudApp;
  /**
   * For a tool that can destroy, overwrite or send something to other people: what this call would do, in words
   * the person can judge before it runs (the person's confirmation is asked for with it, per the admin's setting).
   * Null when this particular call changes nothing that cannot be undone (a new file, a note that did not exist).
   * It may read Nextcloud to say what would be lost, and refuses (throws) what the call itself would refuse.
   */
  plan?(input: z.infer<Input>, context: ToolContext): Promise<string | null>;
  run(input: z.infer<Input>, context: ToolContext): Promise<ToolOutput<z.infer<Output>>>;
}

/**
 * The plan of an update that changes only the fields the call names, on something the model has read: not one of
 * the changes the person is asked about, unless the admin wants every change confirmed.
 */
export async function namedFieldsOnly(): Promise<null> {
  return null;
}

/**
 * Apps a tool can depend on that a Nextcloud may lack, or enable only for some groups. Contacts and tasks are not
 * among them: they live in Nextcloud's own CardDAV and CalDAV, which every user has whether or not the Contacts
 * and Tasks apps (their web pages) are enabled.
 */
export const NEXTCLOUD_APPS = ['notes', 'deck'] as const;
export type NextcloudApp = (typeof NEXTCLOUD_APPS)[number];

/** Declares a tool with its types inferred from its schemas. */
export function defineTool<Input extends z.ZodObject, Output extends z.ZodObject>(tool: Tool<Input, Output>): Tool<Input, Output> {
  return tool;
}

/** Every scope the tool names, whether it needs all of them or any one. */
export function scopesNamed(tool: Pick<Tool, 'scopes'>): readonly Scope[] {
  return 'anyOf' in tool.scopes ? tool.scopes.anyOf : tool.scopes.allOf;
}

/** A tool that needs a write scope changes something in Nextcloud. */
export function isWriteTool(tool: Pick<Tool, 'scopes'>): boolean {
  return scopesNamed(tool).some((scope) => WRITE_SCOPES.has(scope));
}

/** Whether a grant with these scopes may see and call the tool. */
export function toolAllowed(tool: Pick<Tool, 'scopes'>, scopes: readonly Scope[]): boolean {
  return 'anyOf' in tool.scopes
    ? tool.scopes.anyOf.some((scope) => scopes.includes(scope))
    : tool.scopes.allOf.every((scope) => scopes.includes(scope));
}

/**
 * The scopes a step-up asks for, among those the admin enabled: all of an allOf tool's; for an anyOf tool one is
 * enough, so the first, the one the tool most naturally needs. Empty when consent cannot make the tool available.
 */
export function scopesToRequest(tool: Pick<Tool, 'scopes'>, enabled: readonly Scope[]): Scope[] {
  const wanted = scopesNamed(tool).filter((scope) => enabled.includes(scope));
  return 'anyOf' in tool.scopes ? wanted.slice(0, 1) : wanted;
}
