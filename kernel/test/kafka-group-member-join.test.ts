// A consumer that crashes while joining its group is replaced within the subscribe deadline,
// not waited out: under a loaded broker the first join can time out and the second succeed.
// The broker here is a scripted stand-in for kafkajs's consumer; the real broker's joins are
// covered by the event-bus contract suite.
import { test } from "node:test";
import assert from "node:assert/strict";
import { GroupMember, sharedGroupSpec } from "../src/events/kafka-group-member.ts";
import { scriptedKafka, settings } from "./support/scripted-kafka.ts";

test("a consumer crashing while it joins is disconnected and replaced, and start resolves once the replacement has joined", async () => {
  const { kafka, consumers } = scriptedKafka(["crash-while-joining", "crash-while-joining", "join"]);
  const member = new GroupMember(kafka, sharedGroupSpec({ topic: "t", group: "g", handle: async () => {} }, ""), settings(10_000), undefined);
  const started = Date.now();
  await member.start();
  assert.equal(consumers.length, 3);
  assert.deepEqual(consumers.map((c) => c.disconnected), [true, true, false], "the crashed consumers are let go, the joined one kept");
  assert.ok(Date.now() - started < 5_000, "replaced at once, not after the deadline");
  await member.stop();
  assert.equal(consumers[2]!.disconnected, true);
});

test("a consumer that keeps crashing while joining fails start with the crash's reason once the deadline is spent", async () => {
  const { kafka, consumers } = scriptedKafka(Array.from({ length: 100 }, () => "crash-while-joining" as const));
  const member = new GroupMember(kafka, sharedGroupSpec({ topic: "t", group: "g", handle: async () => {} }, ""), settings(600), undefined);
  await assert.rejects(member.start(), /crashed while joining its group: The coordinator is loading/);
  assert.ok(consumers.length >= 2, "retried before giving up");
  assert.ok(consumers.every((c) => c.disconnected), "no consumer is left running");
  await member.stop();
});

test('a "latest" member seeks the ends read at subscribe when its consumer joins, before kafkajs fetches, and only with its first consumer', async () => {
  const { kafka, consumers } = scriptedKafka(["crash-while-joining", "join"]);
  const ends = [
    { partition: 0, offset: "7" },
    { partition: 1, offset: "0" },
  ];
  const member = new GroupMember(kafka, sharedGroupSpec({ topic: "t", group: "g", start: "latest", handle: async () => {} }, "", ends), settings(10_000), undefined);
  await member.start();
  assert.deepEqual(consumers[0]!.seeks, [], "the crashed consumer never joined");
  assert.deepEqual(consumers[1]!.seeks, ends.map((end) => ({ ...end, afterRunResolved: false })), "sought at the join, before run resolved");
  // A consumer replacing one that crashed later goes on from what was committed.
  consumers[1]!.crash();
  const deadline = Date.now() + 5_000;
  while (consumers.length < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(consumers.length, 3, "replaced");
  assert.deepEqual(consumers[2]!.seeks, []);
  await member.stop();
});

test("stop resolves without waiting for the consumer to leave its group; left settles once it has", async () => {
  const { kafka, consumers } = scriptedKafka(["join"], { disconnectMs: 300 });
  const member = new GroupMember(kafka, sharedGroupSpec({ topic: "t", group: "g", handle: async () => {} }, ""), settings(10_000), undefined);
  await member.start();
  const stoppedAt = Date.now();
  await member.stop();
  assert.ok(Date.now() - stoppedAt < 250, `stop took ${Date.now() - stoppedAt} ms`);
  assert.equal(consumers[0]!.disconnected, true, "the leave has begun");
  let left = false;
  void member.left.then(() => (left = true));
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(left, false, "still leaving");
  await member.left;
  assert.ok(Date.now() - stoppedAt >= 290, "left once the consumer disconnected");
});
