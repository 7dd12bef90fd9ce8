// Shared state and types of the Nextcloud simulator. Every route module receives the same SimContext.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppApiGeneration } from './appapi/generations.js';

export interface SimUser {
  id: string;
  displayName: string;
  password: string;
  email: string;
  groups: string[];
  enabled: boolean;
  language: string;
  locale: string;
  /** Two-factor authentication is enabled (one provider, `totp`, whose code is TWO_FACTOR_CODE). */
  twoFactor?: boolean;
  /**
   * The user backend holding this account (e.g. LDAP) cannot be reached: Nextcloud cannot load the account to log it
   * in (AppAPI impersonation, sessions, Basic all fail as for an unknown user), while it still exists, is enabled and
   * is listed.
   */
  backendDown?: boolean;
}

export interface SimGroup {
  id: string;
  displayName: string;
}

/** Who the current request is, as Nextcloud's handleLogin would have decided. */
export interface SimIdentity {
  /** The logged-in user, or null when anonymous (or when the user is disabled). */
  user: SimUser | null;
  /** How the user was established. */
  via: 'session' | 'basic' | 'appapi' | null;
  /** Set when the request carried valid AppAPI headers (the ExApp's own call). */
  appId: string | null;
  /** The AppAPI user part named a user that exists but is disabled. */
  disabledUser: boolean;
  /**
   * Set when the request's `Authorization: Basic` credentials were tried as a login and failed (Session::
   * tryBasicAuthLogin): Nextcloud core then ends the request itself. 429 once the IP reached the throttler's maximum.
   */
  loginFailure?: { status: 401 | 429; message: string } | null;
}

export type AccessLevel = 0 | 1 | 2; // PUBLIC, USER, ADMIN

export interface ExAppRoute {
  url: string;
  verb: string;
  access_level: AccessLevel;
  headers_to_exclude: string[];
  bruteforce_protection: number[];
}

export interface ExAppStatus {
  deploy: number;
  init: number;
  action: string;
  type: 'install' | 'update' | '';
  error: string;
}

export interface ExApp {
  id: string;
  name: string;
  version: string;
  secret: string;
  /** Where AppAPI reaches the ExApp: TCP (manual-install) or a unix socket (HaRP FRP mode). */
  target: { protocol: 'http'; host: string; port: number } | { socketPath: string };
  daemon: string;
  /** True for HaRP daemons: lifecycle calls carry the harp headers. */
  harp: boolean;
  /**
   * For HaRP daemons: what AppAPI adds to every request it signs (AppAPICommonService::buildAppAPIAuthHeaders), the
   * daemon's shared key (which HaRP checks on such requests, and does not strip) and where HaRP finds the app.
   */
  harpSigning?: { sharedKey: string; host: string; port: number };
  enabled: boolean;
  status: ExAppStatus;
  routes: ExAppRoute[];
  /**
   * HTTP Basic credentials AppAPI adds to every request to the ExApp (remote Docker Socket Proxy over https:
   * `app_api_haproxy_user` and the daemon's haproxy password); the client's Authorization moves to
   * X-Original-Authorization.
   */
  upstreamAuth?: { user: string; password: string };
}

export interface DeclarativeForm {
  id: string;
  section_type: 'admin' | 'personal';
  [key: string]: unknown;
}

export interface TalkParticipant {
  userId: string;
  participantType: number; // 1 owner, 2 moderator, 3 user
  /** Attendee permissions as Talk stores them; 0 = not customised, the room's default applies. */
  attendeePermissions: number;
  lastReadMessage: number;
  /** Newest message that mentioned this user in any way (including @all); 0 = never. Drives unreadMention. */
  lastMentionMessage: number;
  /** Newest message that mentioned this user by name or replied to them; 0 = never. Drives unreadMentionDirect. */
  lastMentionDirect: number;
  /** Message ids whose notification is still pending for this user. */
  pendingNotifications: number[];
}

export interface TalkMessage {
  id: number;
  actorType: 'users' | 'bots' | 'guests';
  actorId: string;
  timestamp: number;
  /** The text as posted (mentions still as @id); system messages hold their {placeholder} template. */
  message: string;
  /** Stored rich objects (system messages); mentions in comments are derived from the text when rendered. */
  messageParameters: Record<string, Record<string, string>>;
  messageType: 'comment' | 'system';
  systemMessage: string;
  referenceId: string;
  replyTo: number | null;
  silent: boolean;
}

export interface TalkRoom {
  id: number;
  token: string;
  type: 1 | 2 | 3 | 4 | 5 | 6;
  name: string;
  description: string;
  readOnly: 0 | 1;
  lobbyState: 0 | 1;
  /** Conversation default permissions; 0 = not customised, the server default applies. */
  defaultPermissions: number;
  participants: TalkParticipant[];
  messages: TalkMessage[];
}

export interface SimState {
  users: Map<string, SimUser>;
  groups: Map<string, SimGroup>;
  /** session id (cookie value) -> user id; a session waiting for its second factor is not logged in yet. */
  sessions: Map<string, { userId: string; requestToken: string; passphrase: string; pendingTwoFactor?: boolean }>;
  apps: Map<string, ExApp>;
  /** appId -> key -> {value, sensitive} */
  appConfig: Map<string, Map<string, { value: string; sensitive: boolean }>>;
  /** appId -> userId -> key -> {value, sensitive} */
  preferences: Map<string, Map<string, Map<string, { value: string; sensitive: boolean }>>>;
  /** appId -> formId -> scheme */
  settingsForms: Map<string, Map<string, DeclarativeForm>>;
  talk: { rooms: TalkRoom[]; nextMessageId: number };
  /**
   * The Nextcloud apps installed and enabled (files, calendar, spreed, contacts, tasks, notes, deck ...), each with
   * the groups it is limited to (empty: everyone). An app that is not a key is not installed.
   */
  nextcloudApps: Map<string, { groups: string[] }>;
  /** Every AppAPI impersonation, like <datadirectory>/exapp_impersonation.log */
  impersonationLog: { appId: string; userId: string; method: string; url: string }[];
}

export interface SimContext {
  state: SimState;
  /** Public base URL of the simulated Nextcloud, e.g. http://127.0.0.1:8080 (no trailing slash). */
  baseUrl(): string;
  /** The PHP SabreDAV backend (loopback only); requests carry X-Sim-User and X-Sim-Token. */
  dav: { origin: string; token: string };
  /** AppAPI version this simulator reports (AA-VERSION, AA_VERSION, capabilities): info.xml's, e.g. 32.0.0 for 32.0.9. */
  appApiVersion: string;
  /** The AppAPI release played and how it differs from the others (appapi/generations.ts). */
  generation: AppApiGeneration;
  /** Nextcloud server version (status.php, capabilities): the release this AppAPI ships with. */
  serverVersion: { major: number; minor: number; micro: number; string: string };
}

export type OcsVersion = 1 | 2;

declare module 'fastify' {
  interface FastifyRequest {
    nc: SimIdentity;
  }
}

export type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown> | unknown;
