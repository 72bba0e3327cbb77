import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, connect, type AddressInfo, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { test } from "node:test";
import { readSendQueues, socketInode, unacknowledgedBytes } from "../src/http/kernel-send-queues.js";
import { handedToKernel, lookInterval, STALLED_READER_MS } from "../src/http/stalled-reader-reset.js";

const onLinux = process.platform === "linux";

// Lines as the kernel writes them (tcp4_seq_show, tcp6_seq_show), header included.
const TCP = [
  "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode                                                     ",
  "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0                     ",
  // The sought inode 4242 also appears in later columns of another socket, which is not it.
  "   1: 0100007F:1F90 0100007F:D2F0 01 0001E240:00000000 01:00000014 00000000  1000        0 777001 2 0000000000000000 4242 4 30 10 -1                  ",
  // TIME_WAIT sockets have no inode (0).
  "   2: 0100007F:1F90 0100007F:D2F2 06 00000000:00000000 03:000016A8 00000000     0        0 0 3 0000000000000000                                     ",
  "   3: 0100007F:1F90 0100007F:D2F4 01 00080000:00000000 01:00000014 00000000     0        0 777002 2 0000000000000000 20 4 30 10 -1                    ",
].join("\n");
const TCP6 = [
  "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
  "   0: 00000000000000000000000001000000:1F90 00000000000000000000000001000000:C350 01 00000400:00000000 01:00000014 00000000     0        0 888003 1 0000000000000000 20 4 0 10 -1",
].join("\n");

test("a table's lines give each sought socket's unacknowledged bytes, by its inode column alone", () => {
  const found = new Map<string, number>();
  readSendQueues(TCP, new Set(["4242", "777001", "777002", "0", "999"]), found);
  readSendQueues(TCP6, new Set(["888003"]), found);
  assert.deepEqual(Object.fromEntries(found), { "4242": 0, "777001": 0x1e240, "777002": 0x80000, "0": 0, "888003": 0x400 });
});

/** A server's side of a loopback connection whose client reads nothing until told. */
async function connectionReadingNothing(): Promise<{ served: Socket; client: Socket; close(): void }> {
  const server = createServer();
  await once(server.listen(0, "127.0.0.1"), "listening");
  const client = connect((server.address() as AddressInfo).port, "127.0.0.1");
  client.pause();
  const [served] = (await once(server, "connection")) as [Socket];
  return {
    served,
    client,
    close: () => {
      client.destroy();
      served.destroy();
      server.close();
    },
  };
}

test("the kernel's own tables tell what a client has not read, and nothing once it has read it", { skip: !onLinux }, async () => {
  const { served, client, close } = await connectionReadingNothing();
  try {
    const inode = await socketInode(served);
    assert.ok(inode, "the served socket has an inode");
    const answer = Buffer.alloc(4 * 1024 * 1024, 1);
    served.write(answer);
    // The kernel takes what fits in both sockets' buffers; the rest stays in Node's queue.
    let held = 0;
    for (let look = 0; look < 100 && held === 0; look++, await delay(20)) held = (await unacknowledgedBytes(new Set([inode])))?.get(inode) ?? 0;
    assert.ok(held > 0, "bytes the client has not read are listed as unacknowledged");
    assert.ok(held < answer.length, `the kernel holds part of the answer, not more (${held})`);

    let read = 0;
    client.on("data", (chunk: Buffer) => (read += chunk.length));
    client.resume();
    while (read < answer.length) await delay(10);
    let left = held;
    for (let look = 0; look < 100 && left > 0; look++, await delay(20)) left = (await unacknowledgedBytes(new Set([inode])))?.get(inode) ?? -1;
    assert.equal(left, 0);
  } finally {
    close();
  }
});

test("a look's cost counts the tables' reading, not only their parsing: a slow table spaces the looks", { skip: !onLinux }, async () => {
  // A named pipe stands for a table the kernel is slow to write: the read ends when its writer does.
  const dir = mkdtempSync(join(tmpdir(), "send-queues-"));
  const table = join(dir, "tcp");
  try {
    execFileSync("mkfifo", [table]);
    const writer = (async () => {
      await delay(300);
      writeFileSync(table, TCP);
    })();
    let took = 0;
    const found = await unacknowledgedBytes(new Set(["777002"]), (ms) => (took = ms), [table]);
    await writer;
    assert.equal(found?.get("777002"), 0x80000);
    assert.ok(took >= 250, `the look took ${took} ms, the read included`);
    assert.ok(lookInterval(took) >= 50 * 250, "the next look waits fifty times what this one took");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("however costly a look, the next one comes within a stall deadline", () => {
  assert.equal(lookInterval(0), 1_000);
  assert.equal(lookInterval(60), 3_000);
  assert.equal(lookInterval(10_000), STALLED_READER_MS);
});

test("the private counts the watch reads exist on this Node: what the kernel took of a large write, not all of it", async () => {
  // `_bytesDispatched` and `_handle.writeQueueSize` are Node's own: a Node upgrade that renames
  // them would leave the watch seeing nothing taken and resetting nothing, silently.
  const { served, close } = await connectionReadingNothing();
  try {
    const answer = Buffer.alloc(16 * 1024 * 1024, 1);
    served.write(answer);
    let taken = 0;
    for (let look = 0; look < 100 && taken === 0; look++, await delay(20)) taken = handedToKernel(served);
    assert.ok(taken > 0, "the kernel took part of the write");
    assert.ok(taken < answer.length, `a client reading nothing cannot have let the kernel take it all (${taken})`);
    assert.equal(typeof (served as unknown as { _bytesDispatched?: unknown })._bytesDispatched, "number");
  } finally {
    close();
  }
});
