// A kafkajs client given up after a failed call is disconnected only once nothing runs on it:
// kafkajs goes on retrying a call past its caller's deadline, and a retry after the disconnect
// connected the client again, a connection nothing ever closed.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Admin } from "kafkajs";
import { KafkaClientSlot } from "../src/events/kafka-client-slot.js";

function fakeAdmin() {
  const client = { connects: 0, disconnects: 0, connect: async () => void client.connects++, disconnect: async () => void client.disconnects++ };
  return client;
}

const settled = () => new Promise((resolve) => setImmediate(resolve));

describe("KafkaClientSlot", () => {
  it("disconnects a client given up after a failed call only once its other calls have settled", async () => {
    const made: ReturnType<typeof fakeAdmin>[] = [];
    const slot = new KafkaClientSlot(() => {
      made.push(fakeAdmin());
      return made.at(-1) as unknown as Admin;
    });
    let finishSlowCall!: () => void;
    const slow = slot.use(() => new Promise<void>((resolve) => (finishSlowCall = resolve)));
    await assert.rejects(slot.use(async () => Promise.reject(new Error("request timed out"))));
    await settled();
    assert.equal(made[0]!.disconnects, 0, "not disconnected while a call still runs on it");
    // The next call gets a new client at once.
    await slot.use(async () => undefined);
    assert.equal(made.length, 2);
    finishSlowCall();
    await slow;
    await settled();
    assert.equal(made[0]!.disconnects, 1, "disconnected once its last call settled");
    assert.equal(made[1]!.disconnects, 0);
  });

  it("disconnects a client given up with a pending call once that call has settled", async () => {
    const admin = fakeAdmin();
    const slot = new KafkaClientSlot(() => admin as unknown as Admin);
    const client = slot.connected();
    await client;
    let finish!: () => void;
    const pending = new Promise<void>((resolve) => (finish = resolve));
    slot.giveUp(client, pending);
    await settled();
    assert.equal(admin.disconnects, 0);
    finish();
    await settled();
    await settled();
    assert.equal(admin.disconnects, 1);
  });
});
