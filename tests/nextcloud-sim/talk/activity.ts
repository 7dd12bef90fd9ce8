// Wakes long polls when a conversation gets a new message. One emitter per simulator state, so several
// simulators in one process (parallel tests) never wake each other's polls.
import { EventEmitter } from 'node:events';
import type { SimState } from '../context.js';

const emitters = new WeakMap<SimState['talk'], EventEmitter>();

function emitterOf(state: SimState): EventEmitter {
  let emitter = emitters.get(state.talk);
  if (!emitter) {
    emitter = new EventEmitter();
    // Every waiting long poll is one listener; there is no leak to warn about.
    emitter.setMaxListeners(0);
    emitters.set(state.talk, emitter);
  }
  return emitter;
}

export function announceRoomActivity(state: SimState, token: string): void {
  emitterOf(state).emit(token);
}

/** How many long polls are waiting on this conversation right now (lets tests prove a disconnect cleans up). */
export function waitingLongPolls(state: SimState, token: string): number {
  return emitterOf(state).listenerCount(token);
}

export type WaitOutcome = 'activity' | 'timeout' | 'aborted';

/** Resolves on the next message in the room, after timeoutMs, or when the signal aborts (client went away). */
export function waitForRoomActivity(state: SimState, token: string, timeoutMs: number, signal: AbortSignal): Promise<WaitOutcome> {
  if (signal.aborted) return Promise.resolve('aborted');
  const emitter = emitterOf(state);
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: WaitOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      emitter.off(token, onActivity);
      signal.removeEventListener('abort', onAbort);
      resolve(outcome);
    };
    const onActivity = () => finish('activity');
    const onAbort = () => finish('aborted');
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    emitter.on(token, onActivity);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
