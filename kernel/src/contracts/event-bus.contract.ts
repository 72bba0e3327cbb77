import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, afterEach, before, describe, it } from "node:test";
import type { DomainEvent, EventBus, SubscribeOptions, Subscription } from "../events/event-bus.js";
import { newEvent } from "../events/new-event.js";
import { engineSuiteTitle, waitFor } from "../testing/index.js";

export interface EventBusContractOptions {
  /** How long an expected delivery may take before the test fails. */
  deliveryTimeoutMs?: number;
}

/**
 * The guarantees of the `EventBus` port, checked against one adapter. `create` returns a
 * fresh bus; every test uses its own topics and groups, so runs never see each other's events.
 */
export function defineEventBusContract(
  engine: string,
  create: () => Promise<EventBus>,
  { deliveryTimeoutMs = 15_000 }: EventBusContractOptions = {},
): void {
  describe(engineSuiteTitle("EventBus contract", engine), { timeout: 120_000 }, () => {
    let bus: EventBus;
    const subscriptions: Subscription[] = [];
    const extraBuses: EventBus[] = [];

    before(async () => {
      bus = await create();
    });
    afterEach(async () => {
      await Promise.all(subscriptions.splice(0).map((subscription) => subscription.stop()));
      await Promise.all(extraBuses.splice(0).map((extra) => extra.close()));
    });
    after(async () => {
      await bus?.close();
    });

    const unique = (name: string) => `contract.${name}.${randomUUID().slice(0, 8)}`;
    const until = (description: string, condition: () => boolean) => waitFor(description, condition, { timeoutMs: deliveryTimeoutMs });

    async function subscribe(options: SubscribeOptions, on: EventBus = bus): Promise<Subscription> {
      const subscription = await on.subscribe(options);
      subscriptions.push(subscription);
      return subscription;
    }

    function recorder() {
      const events: DomainEvent[] = [];
      return { events, ids: () => events.map((e) => e.id), handle: async (event: DomainEvent) => void events.push(event) };
    }

    function events(count: number, keys: string[], type = "contract.tested"): DomainEvent[] {
      return Array.from({ length: count }, (_, seq) => newEvent(type, keys[seq % keys.length]!, { seq }));
    }

    it("replays what a topic holds to a new group, each event intact", async () => {
      const topic = unique("replay");
      const sent = newEvent("order.placed", "order-1", { total: { amountMinor: 1299, currency: "EUR" }, lines: ["a", "b"] });
      await bus.publish(topic, [sent]);
      const got = recorder();
      await subscribe({ topic, group: unique("g"), handle: got.handle });
      await until("the event arrives", () => got.events.length === 1);
      assert.deepEqual(got.events[0], sent);
    });

    it("delivers every event to each consumer group", async () => {
      const topic = unique("groups");
      const first = recorder();
      const second = recorder();
      await subscribe({ topic, group: unique("g1"), handle: first.handle });
      await subscribe({ topic, group: unique("g2"), handle: second.handle });
      const sent = events(20, ["k1", "k2", "k3", "k4"]);
      await bus.publish(topic, sent.slice(0, 10));
      await bus.publish(topic, sent.slice(10));
      await until("both groups have 20 events", () => first.events.length >= 20 && second.events.length >= 20);
      const expected = sent.map((e) => e.id).sort();
      assert.deepEqual(first.ids().sort(), expected);
      assert.deepEqual(second.ids().sort(), expected);
    });

    it("shares a group's events among its members, each event to one member", async () => {
      const topic = unique("share");
      const group = unique("g");
      const a = recorder();
      const b = recorder();
      await subscribe({ topic, group, handle: a.handle });
      await subscribe({ topic, group, handle: b.handle });
      const sent = events(60, Array.from({ length: 12 }, (_, i) => `key-${i}`));
      await bus.publish(topic, sent);
      await until("all 60 events are handled", () => new Set([...a.ids(), ...b.ids()]).size === 60);
      const all = [...a.ids(), ...b.ids()];
      assert.equal(all.length, 60, "no event was handled twice");
      assert.ok(a.events.length > 0 && b.events.length > 0, `both members worked (${a.events.length} and ${b.events.length})`);
    });

    it("keeps each key's events in publish order, with many keys interleaved", async () => {
      const topic = unique("order");
      const group = unique("g");
      const seen = new Map<string, number[]>();
      const handle = async (event: DomainEvent) => {
        seen.set(event.key, [...(seen.get(event.key) ?? []), (event.payload as { seq: number }).seq]);
      };
      await subscribe({ topic, group, handle });
      await subscribe({ topic, group, handle });
      const keys = ["k1", "k2", "k3", "k4", "k5"];
      // Round-robin over the keys: each key's events are far apart in the topic.
      const sent = Array.from({ length: 250 }, (_, i) => newEvent("contract.tested", keys[i % 5]!, { seq: Math.floor(i / 5) }));
      for (let i = 0; i < sent.length; i += 25) await bus.publish(topic, sent.slice(i, i + 25));
      const total = () => [...seen.values()].reduce((sum, seqs) => sum + seqs.length, 0);
      await until("all 250 events are handled", () => total() >= 250);
      const inOrder = Array.from({ length: 50 }, (_, seq) => seq);
      for (const key of keys) assert.deepEqual(seen.get(key), inOrder, `events of ${key} in publish order`);
    });

    it("handles other keys while one key's handler is slow, in one group", async () => {
      const topic = unique("concurrent");
      const slow = newEvent("contract.tested", "slow-key", { seq: 0 });
      const others = Array.from({ length: 19 }, (_, i) => newEvent("contract.tested", `key-${i}`, { seq: i }));
      const handled: string[] = [];
      let releaseSlow!: () => void;
      const slowMayFinish = new Promise<void>((resolve) => (releaseSlow = resolve));
      // A safety valve: without concurrency the test fails on the order below, not by hanging.
      const valve = setTimeout(releaseSlow, 5_000);
      await subscribe({
        topic,
        group: unique("g"),
        handle: async (event) => {
          if (event.id === slow.id) await slowMayFinish;
          handled.push(event.key);
          if (handled.length === others.length) releaseSlow();
        },
      });
      await bus.publish(topic, [slow, ...others]);
      await until("every event is handled", () => handled.length >= others.length + 1);
      clearTimeout(valve);
      assert.equal(handled.at(-1), "slow-key", "every other key was handled while the slow one waited");
    });

    it("goes on with keys published while one key's handler is slow, holding back at most its partition", async () => {
      const topic = unique("later");
      const slow = newEvent("contract.tested", "slow-key", { seq: 0 });
      const later = Array.from({ length: 19 }, (_, i) => newEvent("contract.tested", `key-${i}`, { seq: i }));
      const handled: string[] = [];
      let slowStarted = false;
      let releaseSlow!: () => void;
      const slowMayFinish = new Promise<void>((resolve) => (releaseSlow = resolve));
      await subscribe({
        topic,
        group: unique("g"),
        handle: async (event) => {
          if (event.id === slow.id) {
            slowStarted = true;
            await slowMayFinish;
          }
          handled.push(event.key);
        },
      });
      try {
        await bus.publish(topic, [slow]);
        await until("the slow handler runs", () => slowStarted);
        // A later publish: on Kafka a later fetch, which kafkajs holds until its last is done.
        await bus.publish(topic, later);
        // The keys sharing the slow key's partition (lane) wait for it; these keys spread so
        // that most do not, on 3 Kafka partitions as on the embedded bus's lanes.
        await until("most later keys are handled while the slow one runs", () => handled.length >= later.length / 2);
        assert.ok(!handled.includes("slow-key"));
      } finally {
        releaseSlow();
      }
      await until("every event is handled", () => handled.length >= later.length + 1);
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(handled.length, later.length + 1, `each event handled once: ${handled.join(", ")}`);
    });

    it("delivers an event again after its handler throws, before the key's later events", async () => {
      const topic = unique("retry");
      const sent = events(3, ["same-key"]);
      const attempts: string[] = [];
      const handled: string[] = [];
      let failed = false;
      await subscribe({
        topic,
        group: unique("g"),
        handle: async (event) => {
          attempts.push(event.id);
          if (event.id === sent[1]!.id && !failed) {
            failed = true;
            throw new Error("transient failure");
          }
          handled.push(event.id);
        },
      });
      await bus.publish(topic, sent);
      await until("all three events are handled", () => handled.length >= 3);
      const [e1, e2, e3] = sent.map((e) => e.id);
      assert.deepEqual(attempts, [e1, e2, e2, e3]);
      assert.deepEqual(handled, [e1, e2, e3]);
    });

    it("hands an event whose handler never succeeded to the group's next member", async () => {
      const topic = unique("handover");
      const group = unique("g");
      let attempts = 0;
      const failing = await subscribe({
        topic,
        group,
        handle: async () => {
          attempts += 1;
          throw new Error("always fails");
        },
      });
      const [sent] = events(1, ["k"]);
      await bus.publish(topic, [sent!]);
      await until("the failing member has tried", () => attempts >= 1);
      await failing.stop();
      const next = recorder();
      await subscribe({ topic, group, handle: next.handle });
      await until("the next member receives the event", () => next.events.length >= 1);
      assert.equal(next.events[0]!.id, sent!.id);
    });

    it('starts a new group at the end of the topic when start is "latest"', async () => {
      const topic = unique("latest");
      const [old, fresh] = events(2, ["same-key"]);
      await bus.publish(topic, [old!]);
      const got = recorder();
      await subscribe({ topic, group: unique("g"), start: "latest", handle: got.handle });
      await bus.publish(topic, [fresh!]);
      await until("the fresh event arrives", () => got.events.length >= 1);
      // Same key: had the old event been delivered, it would have come first.
      assert.deepEqual(got.ids(), [fresh!.id]);
    });

    it("stops delivering to a subscription once it is stopped", async () => {
      const topic = unique("stop");
      const stopped = recorder();
      const control = recorder();
      const subscription = await subscribe({ topic, group: unique("g"), handle: stopped.handle });
      await subscribe({ topic, group: unique("control"), handle: control.handle });
      const [first, second] = events(2, ["same-key"]);
      await bus.publish(topic, [first!]);
      await until("both groups have the first event", () => stopped.events.length === 1 && control.events.length === 1);
      await subscription.stop();
      await bus.publish(topic, [second!]);
      await until("the control group has the second event", () => control.events.length === 2);
      assert.deepEqual(stopped.ids(), [first!.id]);
    });

    for (const scope of ["shared", "process"] as const) {
      it(`resolves stop() of a ${scope} subscription only once the handler it was running has returned`, async () => {
        // Its owner closes the handler's database right after: a handler still running then
        // wrote on a closed pool, or reopened one nobody would close.
        const topic = unique(`stop-waits-${scope}`);
        let entered!: () => void;
        const handling = new Promise<void>((resolve) => (entered = resolve));
        let finish!: () => void;
        const finishing = new Promise<void>((resolve) => (finish = resolve));
        let returned = false;
        const subscription = await subscribe({
          topic,
          group: unique("g"),
          scope,
          start: scope === "process" ? "latest" : "earliest",
          handle: async () => {
            entered();
            await finishing;
            returned = true;
          },
        });
        await bus.publish(topic, events(1, ["k"]));
        await handling;
        let stopped = false;
        const stopping = subscription.stop().then(() => (stopped = true));
        await new Promise((resolve) => setTimeout(resolve, 100));
        assert.equal(stopped, false, "stop() resolved while its handler was still running");
        finish();
        await stopping;
        assert.equal(returned, true);
      });
    }

    it("gives every process-scoped subscription, whatever its name, each event published after it subscribed", async () => {
      const topic = unique("process");
      const [old] = events(1, ["k1"]);
      await bus.publish(topic, [old!]);
      // One name twice, and another: each is a subscription of its own.
      const [here, again, named] = [recorder(), recorder(), recorder()];
      const stopHere = await subscribe({ topic, group: "cache", scope: "process", start: "latest", handle: here.handle });
      await subscribe({ topic, group: "cache", scope: "process", start: "latest", handle: again.handle });
      await subscribe({ topic, group: "feed", scope: "process", start: "latest", handle: named.handle });
      const sent = events(6, ["k1", "k2", "k3"]);
      await bus.publish(topic, sent);
      await until("each subscription has the six events", () => [here, again, named].every((r) => r.events.length >= 6));
      const byKey = (list: DomainEvent[]) => ["k1", "k2", "k3"].map((key) => list.filter((e) => e.key === key).map((e) => e.id));
      for (const got of [here, again, named]) {
        assert.deepEqual(byKey(got.events), byKey(sent), "every event after subscribing, once, each key in order, and not the older one");
      }
      await stopHere.stop();
      const [later] = events(1, ["k1"]);
      await bus.publish(topic, [later!]);
      await until("the others have the later event", () => again.events.length === 7 && named.events.length === 7);
      assert.equal(here.events.length, 6, "a stopped subscription is told nothing more");
    });

    it("keeps a process-scoped subscription's events whole and in order while the process subscribes other topics", async () => {
      const [first, second] = [unique("process-first"), unique("process-second")];
      const got = recorder();
      await subscribe({ topic: first, group: "feed", scope: "process", start: "latest", handle: got.handle });
      const before = events(5, ["same-key"]);
      await bus.publish(first, before);
      const other = recorder();
      await subscribe({ topic: second, group: "feed", scope: "process", start: "latest", handle: other.handle });
      const after = events(5, ["same-key"]);
      await bus.publish(first, after);
      const [elsewhere] = events(1, ["x"]);
      await bus.publish(second, [elsewhere!]);
      const firstSeen = () => [...new Set(got.ids())];
      await until("all ten events of the first topic arrive", () => firstSeen().length >= 10);
      // At least once: a repeat is allowed, a gap or a reordering is not.
      assert.deepEqual(firstSeen(), [...before, ...after].map((e) => e.id));
      await until("the second topic's event arrives", () => other.events.length >= 1);
      assert.deepEqual(other.ids(), [elsewhere!.id]);
    });

    it("retries a failing process-scoped subscription alone, its neighbours told once", async () => {
      const topic = unique("process-retry");
      const sent = events(2, ["same-key"]);
      const attempts: string[] = [];
      let failed = false;
      const calm = recorder();
      await subscribe({
        topic,
        group: "flaky",
        scope: "process",
        start: "latest",
        handle: async (event) => {
          attempts.push(event.id);
          if (!failed) {
            failed = true;
            throw new Error("transient failure");
          }
        },
      });
      await subscribe({ topic, group: "calm", scope: "process", start: "latest", handle: calm.handle });
      await bus.publish(topic, sent);
      await until("both events handled by both", () => attempts.length >= 3 && calm.events.length >= 2);
      const [e1, e2] = sent.map((e) => e.id);
      assert.deepEqual(attempts, [e1, e1, e2]);
      assert.deepEqual(calm.ids(), [e1, e2]);
    });

    it("stops its subscriptions and refuses to publish once closed", async () => {
      const topic = unique("close");
      const closing = await create();
      extraBuses.push(closing);
      const got = recorder();
      await subscribe({ topic, group: unique("g"), handle: got.handle }, closing);
      const [first, second] = events(2, ["same-key"]);
      await closing.publish(topic, [first!]);
      await until("the first event arrives", () => got.events.length === 1);
      await closing.close();
      await assert.rejects(closing.publish(topic, [second!]));
      // Another bus publishes on: its own control group sees the event, the closed one not.
      const control = recorder();
      await bus.publish(topic, [second!]);
      await subscribe({ topic, group: unique("control"), handle: control.handle });
      await until("the control group has the second event", () => control.ids().includes(second!.id));
      assert.deepEqual(got.ids(), [first!.id]);
    });
  });
}
