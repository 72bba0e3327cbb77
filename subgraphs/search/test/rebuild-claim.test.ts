// The search index's rebuild claim is a lease its holder renews: a rebuild of any length keeps
// it, and a holder killed mid-rebuild frees it within the lease. A fixed three-hour claim left
// every rebuild (the order keeper's, an upgrade's, the reindex command's) refused for hours
// after a kill -9 of the reindex command or of a replica rebuilding.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { after, describe, it } from "node:test";
import { setTimeout as delay } from "node:timers/promises";
import { EmbeddedKeyValueStore } from "#kernel";
import { RedisKeyValueStore } from "#kernel/adapters.ts";
import { describeWithRealEngine, waitFor } from "#kernel/testing";
import { rebuildClaimKey, withRebuildClaim } from "../src/domain/rebuild-claim.js";

describe("the search index's rebuild claim", () => {
  it("stays with a live holder whose rebuild outlasts its lease many times, and is free once it is done", async () => {
    const kv = new EmbeddedKeyValueStore();
    let finish!: () => void;
    const rebuilding = withRebuildClaim(kv, "catalog", () => new Promise<void>((resolve) => (finish = resolve)), { leaseMs: 400 });
    await waitFor("the claim is taken", async () => (await kv.get(rebuildClaimKey("catalog"))) !== null);
    for (let lease = 0; lease < 4; lease++) {
      await delay(400);
      assert.equal((await withRebuildClaim(kv, "catalog", async () => "a second build")).claimed, false, `still held ${lease + 1} leases in`);
    }
    finish();
    assert.equal((await rebuilding).claimed, true);
    assert.equal(await kv.get(rebuildClaimKey("catalog")), null, "given back");
  });
});

describeWithRealEngine({ suite: "the search index's rebuild claim on Redis", engine: "redis", variable: "REDIS_URL" }, (redisUrl) => {
  describe("the search index's rebuild claim on Redis", { timeout: 60_000 }, () => {
    const indexName = `claimtest_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
    const kv = new RedisKeyValueStore(redisUrl);
    after(async () => {
      await kv.delete(rebuildClaimKey(indexName));
      await kv.close();
    });

    it("held by a rebuilder killed with SIGKILL, lapses within its lease and is taken by the rebuilder waiting for it", async () => {
      const leaseMs = 2_000;
      const holder = spawn("npx", ["tsx", "subgraphs/search/test/support/hold-rebuild-claim.ts", redisUrl, indexName, String(leaseMs)], { stdio: ["ignore", "pipe", "inherit"], detached: true });
      let output = "";
      holder.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
      const exited = new Promise((resolve) => holder.once("exit", resolve));
      await waitFor("the holder has the claim", () => output.includes("claimed"), { timeoutMs: 30_000, intervalMs: 50 });
      // The holder renews while it lives: past a lease, the claim is still its.
      await delay(leaseMs * 1.5);
      assert.equal((await withRebuildClaim(kv, indexName, async () => "built")).claimed, false, "a live holder keeps its claim past its lease");
      // The whole process group (npx and the script) dies without a word.
      process.kill(-holder.pid!, "SIGKILL");
      await exited;
      const killedAt = performance.now();
      const outcome = await withRebuildClaim(kv, indexName, async () => "built", { wait: { pollMs: 100, signal: AbortSignal.timeout(15_000) } });
      assert.deepEqual(outcome, { claimed: true, result: "built" }, "the dead holder's claim lapsed");
      assert.ok(performance.now() - killedAt < leaseMs + 2_000, `taken ${Math.round(performance.now() - killedAt)} ms after the kill`);
    });
  });
});
