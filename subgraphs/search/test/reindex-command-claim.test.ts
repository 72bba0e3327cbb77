// `scripts/catalog/reindex.ts` takes the rebuild claim the search replicas take (at start for an
// upgrade, and the order keeper), so an operator's reindex never builds a second copy of the
// catalog beside a replica's rebuild, nor deletes the index that rebuild is filling as
// "abandoned". While another holds the claim it refuses (exit 75), or with --wait waits for it.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { after, describe, it } from "node:test";
import { RedisKeyValueStore } from "#kernel/adapters.ts";
import { describeWithRealEngine, realEngineUrl, waitFor } from "#kernel/testing";
import { rebuildClaimKey } from "../src/domain/rebuild-claim.js";

interface Run {
  output: () => string;
  exited: Promise<number | null>;
}

describeWithRealEngine({ suite: "The reindex command under the search index's rebuild claim", engine: "opensearch", variable: "OPENSEARCH_URL" }, (url) => {
  const redisUrl = realEngineUrl("REDIS_URL");
  const mongoUrl = realEngineUrl("MONGO_URL");
  describe("The reindex command under the search index's rebuild claim", { timeout: 180_000, skip: !redisUrl || !mongoUrl ? "REDIS_URL and MONGO_URL are needed too" : false }, () => {
    const base = url.replace(/\/$/, "");
    const alias = `reindexclaim_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
    const catalogUrl = mongoUrl ? Object.assign(new URL(mongoUrl), { pathname: `/${alias}` }).toString() : "";
    const kv = redisUrl ? new RedisKeyValueStore(redisUrl) : undefined;
    const send = async (method: string, path: string, body?: unknown) =>
      (await fetch(`${base}${path}`, { method, ...(body !== undefined && { body: JSON.stringify(body), headers: { "content-type": "application/json" } }) })).json() as Promise<any>;
    const indexesOf = async () => Object.keys(await send("GET", `/${alias}_*`)).sort();
    const aliasedTo = async () => Object.keys(await send("GET", `/_alias/${alias}`)).filter((name) => name !== "error" && name !== "status");
    // What a rebuild killed half-way leaves: an index behind the building alias.
    const killed = `${alias}_1000000000001`;
    after(async () => {
      await kv?.delete(rebuildClaimKey(alias));
      await kv?.close();
      await fetch(`${base}/${alias}_*`, { method: "DELETE" }).catch(() => undefined);
    });

    const reindex = (...args: string[]): Run => {
      const child = spawn("npx", ["tsx", "scripts/catalog/reindex.ts", "--from-store", ...args], {
        env: { ...process.env, OPENSEARCH_URL: url, REDIS_URL: redisUrl, MONGO_URL: catalogUrl, SEARCH_INDEX: alias, ELASTICSEARCH_URL: "" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
      return { output: () => output, exited: new Promise((resolve) => child.once("exit", (code) => resolve(code))) };
    };

    it("refuses with exit code 75 while a replica's rebuild holds the claim, builds nothing and leaves the claim and that rebuild's index alone", async () => {
      await send("PUT", `/${killed}`, { aliases: { [`${alias}_building`]: {} } });
      await kv!.set(rebuildClaimKey(alias), "a-replica-rebuilding", 120_000);
      const run = reindex();
      assert.equal(await run.exited, 75, run.output());
      assert.match(run.output(), new RegExp(`another rebuild holds search:reorder:${alias}.*--wait`, "s"));
      assert.equal(await kv!.get(rebuildClaimKey(alias)), "a-replica-rebuilding");
      assert.deepEqual(await indexesOf(), [killed], "no index built, and the one being filled under the claim kept");
    });

    it("with --wait, waits while the claim is held, then builds under it, deletes what a killed rebuild left and gives the claim back", async () => {
      if (!(await indexesOf()).includes(killed)) await send("PUT", `/${killed}`, { aliases: { [`${alias}_building`]: {} } });
      await kv!.set(rebuildClaimKey(alias), "a-replica-rebuilding", 120_000);
      const run = reindex("--wait");
      await waitFor("the command says it waits", () => run.output().includes("waiting for it to finish"), { timeoutMs: 90_000, intervalMs: 100 });
      assert.deepEqual(await indexesOf(), [killed], "nothing built while the claim is held");
      await kv!.delete(rebuildClaimKey(alias));
      assert.equal(await run.exited, 0, run.output());
      assert.match(run.output(), /0 products indexed/);
      const indexes = await indexesOf();
      assert.ok(!indexes.includes(killed), "the killed rebuild's index is gone");
      const built = indexes[0]!;
      assert.deepEqual(indexes, [built, `${built}_names`], "the index built and its suggestion index");
      assert.deepEqual(await aliasedTo(), [built], "the alias names the index built");
      assert.equal(await kv!.get(rebuildClaimKey(alias)), null, "the claim is given back");
    });
  });
});
