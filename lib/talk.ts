// Talk (spreed) as the user: conversations and chat history. Reading never moves the user's read marker or
// clears notifications, so an assistant looking at a chat leaves it exactly as the person left it.
import { z } from 'zod';
import type { HttpClient } from './http.js';
import { InvalidArgumentError, isNextcloudError, printable, reworded, wellFormed } from './errors.js';
import { ocsRequest, phpMap } from './ocs.js';

const SPREED = '/ocs/v2.php/apps/spreed';
const CHAT_PERMISSION = 128;
const BYPASS_LOBBY = 8;

const richObject = z.looseObject({ type: z.string(), id: z.coerce.string(), name: z.string().default('') });

const baseMessage = z.looseObject({
  id: z.number(),
  token: z.string(),
  actorType: z.string(),
  actorId: z.string(),
  actorDisplayName: z.string().default(''),
  timestamp: z.number(),
  message: z.string(),
  messageParameters: phpMap(richObject).default({}),
  messageType: z.string(),
  systemMessage: z.string().default(''),
  referenceId: z.string().default(''),
});
const messageSchema = baseMessage
  .extend({ parent: baseMessage.or(z.looseObject({ id: z.number(), deleted: z.literal(true) })).optional() })
  .transform((message) => ({
    id: message.id,
    token: message.token,
    actorType: message.actorType,
    actorId: message.actorId,
    actorDisplayName: message.actorDisplayName,
    timestamp: message.timestamp,
    messageType: message.messageType,
    systemMessage: message.systemMessage,
    referenceId: message.referenceId,
    /** The text with {placeholders} replaced the way Nextcloud renders them. */
    text: renderMessage(message.message, message.messageParameters),
    rawMessage: message.message,
    replyTo: message.parent?.id ?? null,
  }));
export type TalkMessage = z.infer<typeof messageSchema>;

const roomSchema = z
  .looseObject({
    token: z.string(),
    type: z.number(),
    name: z.string().default(''),
    displayName: z.string(),
    description: z.string().default(''),
    readOnly: z.number().default(0),
    lobbyState: z.number().default(0),
    permissions: z.number().default(0),
    unreadMessages: z.number().default(0),
    unreadMention: z.boolean().default(false),
    lastActivity: z.number().default(0),
  })
  .transform((room) => ({
    token: room.token,
    type: room.type,
    displayName: room.displayName,
    description: room.description,
    readOnly: room.readOnly === 1,
    unreadMessages: room.unreadMessages,
    unreadMention: room.unreadMention,
    lastActivity: room.lastActivity,
    permissions: room.permissions,
    // The contract's rule for "may this user post here".
    canPost:
      room.readOnly === 0 &&
      (room.permissions & CHAT_PERMISSION) !== 0 &&
      !(room.lobbyState === 1 && (room.permissions & BYPASS_LOBBY) === 0) &&
      room.type !== 4,
  }));
export type TalkConversation = z.infer<typeof roomSchema>;

export function renderMessage(text: string, parameters: Record<string, { type: string; name: string }>): string {
  return text.replace(/\{([a-z0-9-]+)\}/gi, (whole, key: string) => {
    const parameter = parameters[key];
    if (!parameter) return whole;
    return parameter.type === 'user' ? `@${parameter.name}` : parameter.name;
  });
}

export interface TalkClient {
  conversations(): Promise<TalkConversation[]>;
  conversation(token: string): Promise<TalkConversation>;
  /** One page of history, newest first. Pass nextLastKnownMessageId to get the page before it. */
  messages(
    token: string,
    options?: { limit?: number; lastKnownMessageId?: number },
  ): Promise<{ messages: TalkMessage[]; nextLastKnownMessageId: number | null }>;
  send(token: string, message: string, options?: { replyTo?: number; referenceId?: string; silent?: boolean }): Promise<TalkMessage>;
}

/** Talk's status codes mean specific things (contract 3.3, 3.4); say them in the user's terms. */
async function explained<T>(http: HttpClient, token: string, action: 'read' | 'post', call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (!isNextcloudError(error)) throw error;
    const who = http.userId;
    const hints: Partial<Record<string, string>> = {
      not_found: `Talk conversation ${token} does not exist or ${who} is not a participant`,
      forbidden:
        action === 'post'
          ? `${who} may not post in Talk conversation ${token}: it is read-only or ${who} lacks the chat permission`
          : `${who} may not read Talk conversation ${token}`,
      precondition_failed: `Talk conversation ${token} has its lobby closed to ${who}`,
      too_large: `the message is longer than Talk accepts`,
      bad_request:
        action === 'post'
          ? 'Talk rejected the message (empty, or replying to a message that cannot be replied to)'
          : 'Talk rejected the request',
    };
    const hint = hints[error.code];
    if (!hint) throw error;
    throw reworded(error, `${hint} (${error.status ?? '?'} from Nextcloud).`);
  }
}

/** What a conversation token looks like; anything else never reaches a Talk URL. */
export const TALK_TOKEN = /^[a-z0-9]{4,30}$/;

export function talkClient(http: HttpClient): TalkClient {
  const tokenPath = (token: string) => {
    if (!TALK_TOKEN.test(token)) throw new InvalidArgumentError(`"${printable(token)}" is not a Talk conversation token`);
    return token;
  };
  return {
    async conversations() {
      return (await ocsRequest(http, 'GET', `${SPREED}/api/v4/room`, z.array(roomSchema), { query: { noStatusUpdate: 1 } })).data;
    },
    async conversation(token) {
      return explained(
        http,
        token,
        'read',
        async () => (await ocsRequest(http, 'GET', `${SPREED}/api/v4/room/${tokenPath(token)}`, roomSchema)).data,
      );
    },
    async messages(token, options = {}) {
      const { data, response } = await explained(http, token, 'read', () =>
        ocsRequest(http, 'GET', `${SPREED}/api/v1/chat/${tokenPath(token)}`, z.array(messageSchema).default([]), {
          query: {
            lookIntoFuture: 0,
            limit: Math.min(Math.max(options.limit ?? 50, 1), 200),
            lastKnownMessageId: options.lastKnownMessageId,
            setReadMarker: 0,
            markNotificationsAsRead: 0,
            noStatusUpdate: 1,
          },
          accept: [304],
        }),
      );
      const lastGiven = response.headers.get('x-chat-last-given');
      return { messages: data, nextLastKnownMessageId: response.status === 304 || !lastGiven ? null : Number(lastGiven) };
    },
    async send(token, message, options = {}) {
      wellFormed(message, 'The message');
      const json: Record<string, unknown> = { message };
      if (options.replyTo !== undefined) json.replyTo = options.replyTo;
      if (options.referenceId !== undefined) json.referenceId = options.referenceId;
      if (options.silent !== undefined) json.silent = options.silent;
      return explained(
        http,
        token,
        'post',
        async () => (await ocsRequest(http, 'POST', `${SPREED}/api/v1/chat/${tokenPath(token)}`, messageSchema, { json })).data,
      );
    },
  };
}
