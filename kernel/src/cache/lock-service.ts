import { randomUUID } from "node:crypto";
import type { KeyValueStore } from "./key-value-store.js";
import { DomainError } from "../errors/domain-error.js";
import { ErrorCode } from "../errors/error-codes.js";

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
          throw new DomainError(ErrorCode.CONFLICT, "The resource is busy; please retry", { resource });
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
