// The endpoints AppAPI itself calls on an ExApp: GET /heartbeat (unsigned), POST /init and PUT /enabled (signed,
// empty user). Framework-neutral: each handler returns the status and body to send; the app's callbacks do the work.
import { z } from 'zod';

/** What a handler answers; `body` is sent as JSON. */
export interface LifecycleAnswer {
  status: number;
  body: unknown;
}

/** The routes and whether AppAPI signs them; the heartbeat comes without AppAPI headers. */
export const LIFECYCLE_ROUTES = [
  { method: 'GET', url: '/heartbeat', handler: 'heartbeat', signed: false },
  { method: 'POST', url: '/init', handler: 'init', signed: true },
  { method: 'PUT', url: '/enabled', handler: 'enabled', signed: true },
] as const;

/** `context` is whatever the caller hands each request through (a request logger, say). */
export interface LifecycleCallbacks<Context> {
  /** Named in the error AppAPI shows when enabling or disabling fails. */
  displayName: string;
  /**
   * More fields for the heartbeat's body. AppAPI counts a heartbeat only when the body's `status` is "ok", which is
   * always what is sent.
   */
  heartbeat?: (context: Context) => Record<string, unknown>;
  /** Runs after /init is answered and reports its own progress (setInitProgress), failures included. */
  onInit: (context: Context) => Promise<void>;
  onEnabled: (context: Context) => Promise<void>;
  onDisabled: (context: Context) => Promise<void>;
  /** Told why enabling or disabling failed, before AppAPI is. */
  onError?: (context: Context, error: { enabled: boolean; message: string }) => void;
  /** Runs /init's work after the answer is sent; setImmediate unless a test runs it at a moment of its choosing. */
  defer?: (work: () => void) => void;
  /**
   * How long enabling or disabling may take before the answer says it failed (default 50 s). AppAPI gives up on
   * PUT /enabled after 60 s and then counts it as failed whatever comes later; an answer in time says why.
   */
  enabledDeadlineMs?: number;
}

export interface LifecycleHandlers<Context> {
  heartbeat(context: Context): LifecycleAnswer;
  init(context: Context): LifecycleAnswer;
  /** `query` is the request's parsed query string, which carries enabled=1 or enabled=0. */
  enabled(query: unknown, context: Context): Promise<LifecycleAnswer>;
}

/** Within AppAPI's 60 s for PUT /enabled, with room for the answer to travel. */
const ENABLED_DEADLINE_MS = 50_000;

const enabledQuery = z.object({ enabled: z.enum(['0', '1']) });

export function lifecycleHandlers<Context>(callbacks: LifecycleCallbacks<Context>): LifecycleHandlers<Context> {
  const defer = callbacks.defer ?? ((work: () => void) => void setImmediate(work));
  return {
    heartbeat: (context) => ({ status: 200, body: { ...callbacks.heartbeat?.(context), status: 'ok' } }),
    init(context) {
      // AppAPI waits at most 30 s for this answer; the work and its progress reports happen afterwards.
      defer(() => void callbacks.onInit(context));
      return { status: 200, body: {} };
    },
    async enabled(query, context) {
      const parsed = enabledQuery.safeParse(query);
      if (!parsed.success) return { status: 400, body: { error: 'The query parameter "enabled" must be 1 or 0.' } };
      const enabled = parsed.data.enabled === '1';
      const deadlineMs = callbacks.enabledDeadlineMs ?? ENABLED_DEADLINE_MS;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const deadline = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`it did not finish within ${deadlineMs / 1000} s`)), deadlineMs);
      });
      try {
        await Promise.race([enabled ? callbacks.onEnabled(context) : callbacks.onDisabled(context), deadline]);
        return { status: 200, body: { error: '' } };
      } catch (error) {
        // AppAPI ignores the status code and reads only this field; a non-empty string aborts enabling.
        const message = error instanceof Error ? error.message : String(error);
        callbacks.onError?.(context, { enabled, message });
        return { status: 200, body: { error: `${callbacks.displayName} could not ${enabled ? 'enable' : 'disable'}: ${message}` } };
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
