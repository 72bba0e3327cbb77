// The process fan-out's consumer changes, on the scripted consumer (see support/scripted-kafka.ts):
// a new topic moves every listener to a new consumer that goes on from where the old one was,
// and a new consumer that cannot join leaves the others a consumer all the same.
import { test } from "node:test";
import assert from "node:assert/strict";
import { KafkaProcessFanOut } from "../src/events/kafka-process-fan-out.ts";
import { scriptedKafka, settings, type Script } from "./support/scripted-kafka.ts";
import { waitFor } from "../src/testing/wait-for.ts";

function fanOut(scripts: Script[], subscribeTimeoutMs = 10_000) {
  const { kafka, consumers } = scriptedKafka(scripts);
  const ends = new Map<string, string>([
    ["a", "7"],
    ["b", "3"],
  ]);
  const fan = new KafkaProcessFanOut({
    kafka,
    settings: settings(subscribeTimeoutMs),
    groupPrefix: "deploy.client.process.",
    ends: async (topic) => [{ partition: 0, offset: ends.get(topic) ?? "0" }],
    retire: (member) => member.stop(),
  });
  return { fan, consumers };
}

const ignore = async () => {};

test("one consumer reads every topic; a new topic starts a new one, in a new group, from the old one's positions", async () => {
  const { fan, consumers } = fanOut(["join", "join"]);
  await fan.add("a", ignore);
  assert.equal(consumers.length, 1);
  assert.deepEqual(consumers[0]!.topics, ["a"]);
  assert.deepEqual(consumers[0]!.sought, [{ topic: "a", partition: 0, offset: "7" }], "sought at the join: the end when subscribed");
  await fan.add("a", ignore);
  assert.equal(consumers.length, 1, "a second listener of a topic already read needs no new consumer");
  await fan.add("b", ignore);
  assert.equal(consumers.length, 2);
  assert.equal(consumers[0]!.disconnected, true, "the old consumer is let go");
  assert.deepEqual(consumers[1]!.topics, ["a", "b"]);
  assert.deepEqual(consumers[1]!.sought, [
    { topic: "a", partition: 0, offset: "7" },
    { topic: "b", partition: 0, offset: "3" },
  ]);
  assert.ok(consumers.every((c) => c.groupId.startsWith("deploy.client.process.")));
  assert.notEqual(consumers[0]!.groupId, consumers[1]!.groupId, "a group of its own each time: the old one's leave is not waited for");
  await fan.close();
  assert.equal(consumers[1]!.disconnected, true);
});

test("a topic whose consumer cannot join is refused, and the other listeners get a consumer back", async () => {
  // The first consumer joins; every consumer of the restart crashes until the (short) deadline; a later one joins.
  const { fan, consumers } = fanOut(["join", ...Array.from({ length: 6 }, () => "crash-while-joining" as const)], 400);
  await fan.add("a", ignore);
  await assert.rejects(fan.add("b", ignore), /crashed while joining/);
  const joinedAgain = () => consumers.find((c, i) => i > 0 && c.script === "join" && !c.disconnected && c.sought.length > 0);
  await waitFor("a consumer for the first topic again, joined", () => joinedAgain() !== undefined, { timeoutMs: 10_000 });
  const back = joinedAgain()!;
  assert.deepEqual(back.topics, ["a"], "the refused topic is not read");
  assert.deepEqual(back.sought, [{ topic: "a", partition: 0, offset: "7" }]);
  await fan.close();
  assert.ok(consumers.every((c) => c.disconnected), "nothing left running after close");
});

test("the last listener out stops the consumer; a later one starts another", async () => {
  const { fan, consumers } = fanOut(["join", "join"]);
  const stopFirst = await fan.add("a", ignore);
  const stopSecond = await fan.add("a", ignore);
  await stopFirst();
  assert.equal(consumers[0]!.disconnected, false, "one listener is still there");
  await stopSecond();
  assert.equal(consumers[0]!.disconnected, true);
  await fan.add("b", ignore);
  assert.deepEqual(consumers[1]!.topics, ["b"], "a fresh start: only what is listened to now");
  await fan.close();
});

test("a consumer kafkajs gives up on is replaced in the same group, at the listeners' positions", async () => {
  const { fan, consumers } = fanOut(["join", "join"]);
  await fan.add("a", ignore);
  await fan.add("a", ignore);
  consumers[0]!.crash();
  await waitFor("a replacement joined", () => consumers.length === 2 && consumers[1]!.sought.length > 0, { timeoutMs: 10_000 });
  assert.equal(consumers[0]!.disconnected, true, "the crashed one is let go");
  assert.equal(consumers[1]!.groupId, consumers[0]!.groupId);
  assert.deepEqual(consumers[1]!.topics, ["a"]);
  assert.deepEqual(consumers[1]!.sought, [{ topic: "a", partition: 0, offset: "7" }], "nothing committed: it goes on from the positions kept here");
  await fan.close();
  assert.equal(consumers[1]!.disconnected, true);
});
