import { randomUUID } from "node:crypto";
import type { KeyValueStore } from "./key-value-store.js";
import { DomainError } from "../errors/domain-error.js";
import { ErrorCode } from "../errors/error-codes.js";

/**
 * A lock another holder kept past this call's wait: CONFLICT to a client ("please retry"), and
 * for an event handler a failure that waiting mends (the holder finishes, or its lock expires),
 * never a reason to dead-letter the event (see isTransientInfrastructureError).
 */
export class LockBusyError extends DomainError {
  constructor(readonly resource: string) {
    super(ErrorCode.CONFLICT, "The resource is busy; please retry", { resource });
  }
}

export interface LockOptions {
  ttlMs?: number;
  waitMs?: number;
}

/**
 * The callers of one process waiting for each lock, in the order they asked: per store, so
 * every lock service over the same store in a process shares the line.
 */
const linesByStore = new WeakMap<KeyValueStore, Map<string, Promise<void>>>();

/**
 * Short exclusive locks (`lock:{resource}`, SET NX PX with a per-call token). Only the
 * holder's token can release it, so a lock that expired and was taken by someone else is
 * never released by the late first holder.
 *
 * Callers in one process take a lock in the order they asked for it: only the first in line
 * polls the store, the others wait for their turn. Polling alone favoured newcomers (a caller
 * that has waited polls every 100 ms, one that just asked every 5 ms, and a holder asking again
 * right after its release takes the lock at once), so a caller could wait out its whole
 * `waitMs` while the lock changed hands hundreds of times: a demo catalog seed died that way
 * on a listing its own process's stock events kept taking. Across processes the store decides.
 */
export function createLockService(store: KeyValueStore) {
  const lines = linesByStore.get(store) ?? linesByStore.set(store, new Map()).get(store)!;
  return {
    async withLock<T>(resource: string, work: () => Promise<T>, { ttlMs = 2000, waitMs = 1000 }: LockOptions = {}): Promise<T> {
      const key = `lock:${resource}`;
      const token = randomUUID();
      const deadline = Date.now() + waitMs;
      // The turn after every caller ahead, even one that gave up: it hands on only once
      // those ahead of it have.
      const ahead = lines.get(key) ?? Promise.resolve();
      let handOn!: () => void;
      const done = new Promise<void>((resolve) => (handOn = resolve));
      const turn = ahead.then(() => done);
      lines.set(key, turn);
      void turn.then(() => {
        if (lines.get(key) === turn) lines.delete(key);
      });
      try {
        if (!(await beforeDeadline(ahead, deadline))) throw new LockBusyError(resource);
        let delay = 5;
        while (!(await store.setIfAbsent(key, token, ttlMs))) {
          if (Date.now() >= deadline) {
            throw new LockBusyError(resource);
          }
          await new Promise((resolve) => setTimeout(resolve, delay + Math.random() * delay));
          delay = Math.min(delay * 2, 100);
        }
        try {
          return await work();
        } finally {
          await store.deleteIfEquals(key, token);
        }
      } finally {
        handOn();
      }
    },
  };
}

/** Whether `promise` settled before `deadline` (a time in ms). */
async function beforeDeadline(promise: Promise<void>, deadline: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()))));
  try {
    return await Promise.race([promise.then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
  }
}

export type LockService = ReturnType<typeof createLockService>;
