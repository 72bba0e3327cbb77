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
 * Short exclusive locks (`lock:{resource}`, SET NX PX with a per-call token). Only the
 * holder's token can release it, so a lock that expired and was taken by someone else is
 * never released by the late first holder.
 */
export function createLockService(store: KeyValueStore) {
  return {
    async withLock<T>(resource: string, work: () => Promise<T>, { ttlMs = 2000, waitMs = 1000 }: LockOptions = {}): Promise<T> {
      const key = `lock:${resource}`;
      const token = randomUUID();
      const deadline = Date.now() + waitMs;
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
    },
  };
}

export type LockService = ReturnType<typeof createLockService>;
