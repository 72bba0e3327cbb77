import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { EmbeddedEventBus, newEvent, type DomainEvent } from "#kernel";
import { defineEventBusContract } from "#kernel/contracts/event-bus.contract.ts";
import { waitFor } from "#kernel/testing";

const dirs: string[] = [];
const freshDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "event-bus-test-"));
  dirs.push(dir);
  return dir;
};
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

defineEventBusContract("embedded, journaled", async () => EmbeddedEventBus.open(freshDir(), { maxBackoffMs: 50 }));

function recorder() {
  const events: DomainEvent[] = [];
  return { events, seqs: () => events.map((e) => (e.payload as { seq: number }).seq), handle: async (event: DomainEvent) => void events.push(event) };
}
const numbered = (from: number, count: number) => Array.from({ length: count }, (_, i) => newEvent("test.numbered", `k${(from + i) % 7}`, { seq: from + i }));

describe("EmbeddedEventBus across restarts", () => {
  it("delivers after a crash an event published before any consumer handled it", async () => {
    const dir = freshDir();
    const first = await EmbeddedEventBus.open(dir);
    const sent = newEvent("PaymentRequested", "order-1", { orderId: "order-1", amount: { amountMinor: 1299, currency: "EUR" }, at: new Date(0) });
    await first.publish("payments", [sent]);
    // The process dies before the consumer group joined: no close.
    const second = await EmbeddedEventBus.open(dir);
    const got = recorder();
    await second.subscribe({ topic: "payments", group: "payments", handle: got.handle });
    await waitFor("the event arrives after the restart", () => got.events.length === 1);
    assert.deepEqual(got.events[0], sent);
    await second.close();
    await first.close();
  });

  it("resumes a group after the events it handled, and hands it those it had not reached", async () => {
    const dir = freshDir();
    const first = await EmbeddedEventBus.open(dir);
    const before = recorder();
    const subscription = await first.subscribe({ topic: "orders", group: "orders", handle: before.handle });
    await first.publish("orders", numbered(0, 20));
    await waitFor("the first twenty are handled", () => before.events.length === 20);
    await subscription.stop();
    await first.publish("orders", numbered(20, 10));
    await first.close();

    const second = await EmbeddedEventBus.open(dir);
    const afterRestart = recorder();
    await second.subscribe({ topic: "orders", group: "orders", handle: afterRestart.handle });
    await second.publish("orders", numbered(30, 5));
    await waitFor("the rest arrive", () => afterRestart.events.length >= 15);
    assert.deepEqual(afterRestart.seqs().sort((a, b) => a - b), Array.from({ length: 15 }, (_, i) => 20 + i));
    await second.close();
  });

  it("keeps no live fan-out group: a 'latest' subscriber after a restart sees only what comes next", async () => {
    const dir = freshDir();
    const first = await EmbeddedEventBus.open(dir);
    await first.subscribe({ topic: "status", group: "live-1", start: "latest", handle: async () => {} });
    await first.publish("status", numbered(0, 3));
    await first.close();
    const second = await EmbeddedEventBus.open(dir);
    const live = recorder();
    await second.subscribe({ topic: "status", group: "live-1", start: "latest", handle: live.handle });
    await second.publish("status", numbered(3, 1));
    await waitFor("the new event arrives", () => live.events.length === 1);
    assert.deepEqual(live.seqs(), [3]);
    await second.close();
  });

  it("loses no unhandled event when the journal is compacted while a slow group reads and producers publish", async () => {
    const dir = freshDir();
    const first = await EmbeddedEventBus.open(dir, { compactAfter: 300, keyConcurrency: 2 });
    const handled = new Set<number>();
    // Past 600 the consumer hangs, and the process dies under it (no close: a close waits
    // for the handlers it runs, as a clean shutdown should).
    const hung = new Promise<void>(() => {});
    await first.subscribe({
      topic: "busy",
      group: "slow",
      handle: async (event) => {
        if (handled.size >= 600) await hung;
        await new Promise((resolve) => setImmediate(resolve));
        handled.add((event.payload as { seq: number }).seq);
      },
    });
    for (let i = 0; i < 3_000; i += 100) await first.publish("busy", numbered(i, 100));
    await waitFor("the group is part way", () => handled.size >= 600);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const second = await EmbeddedEventBus.open(dir);
    const rest = new Set<number>();
    await second.subscribe({ topic: "busy", group: "slow", handle: async (event) => void rest.add((event.payload as { seq: number }).seq) });
    await waitFor("every event is handled by one run or the other", () => {
      for (let seq = 0; seq < 3_000; seq++) if (!handled.has(seq) && !rest.has(seq)) return false;
      return true;
    });
    await second.close();
  });

  it("after a crash while one key's handler hung and the other keys went on, hands the hung event over again, each key in order", async () => {
    const dir = freshDir();
    const first = await EmbeddedEventBus.open(dir);
    const stuck = newEvent("test.numbered", "stuck", { seq: -1 });
    const others = numbered(0, 40);
    const handled: DomainEvent[] = [];
    const hung = new Promise<void>(() => {});
    await first.subscribe({
      topic: "lanes",
      group: "payments",
      handle: async (event) => {
        if (event.id === stuck.id) await hung;
        handled.push(event);
      },
    });
    await first.publish("lanes", [stuck, ...others]);
    // The keys outside the hung one's lane go on; the process then dies with no close.
    await waitFor("the other keys are handled", () => handled.length >= others.length / 2);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const second = await EmbeddedEventBus.open(dir);
    const afterCrash = recorder();
    await second.subscribe({ topic: "lanes", group: "payments", handle: afterCrash.handle });
    await waitFor("the hung event arrives after the restart", () => afterCrash.events.some((e) => e.id === stuck.id));
    await waitFor("every event was handled by one run or the other", () => others.every((e) => handled.some((h) => h.id === e.id) || afterCrash.events.some((h) => h.id === e.id)));
    for (const key of new Set(others.map((e) => e.key))) {
      const seqs = afterCrash.events.filter((e) => e.key === key).map((e) => (e.payload as { seq: number }).seq);
      assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y), `key ${key} in order`);
    }
    await second.close();
  });

  it("lets go of events every group read, so a restart does not replay the whole history", async () => {
    const dir = freshDir();
    const first = await EmbeddedEventBus.open(dir, { compactAfter: 1_000 });
    const got = recorder();
    await first.subscribe({ topic: "history", group: "reader", handle: got.handle });
    for (let i = 0; i < 10_000; i += 500) await first.publish("history", numbered(i, 500));
    await waitFor("everything is read", () => got.events.length === 10_000);
    await first.close();
    const second = await EmbeddedEventBus.open(dir);
    const late = recorder();
    await second.subscribe({ topic: "history", group: "late-joiner", handle: late.handle });
    await second.publish("history", numbered(10_000, 1));
    await waitFor("the late joiner reaches the new event", () => late.seqs().includes(10_000));
    assert.ok(late.events.length < 10_000 / 2, `a new group replayed ${late.events.length} events`);
    await second.close();
  });
});
