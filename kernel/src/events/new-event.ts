import { randomUUID } from "node:crypto";
import type { DomainEvent } from "./event-bus.js";

export function newEvent<T>(type: string, key: string, payload: T, now = new Date()): DomainEvent<T> {
  return { id: randomUUID(), type, key, occurredAt: now.toISOString(), payload };
}
