// A rebuild that stalls past its claim's lease without dying (a long GC pause, a starved or
// stopped process, a renewal that never reaches the cache) is no longer the one rebuild: another
// rebuilder may take the claim and delete its build as abandoned. When it wakes it must stop:
// write nothing more, create no index, and never move the aliases over what the claim's new
// holder serves. Before, its next batch auto-created its deleted index with a dynamic mapping,
// and the alias moved onto that index, retiring the taker's good one.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, describe, it } from "node:test";
import { EmbeddedKeyValueStore, type KeyValueStore } from "#kernel";
import { describeWithRealEngine, engineSuiteTitle, waitFor } from "#kernel/testing";
import { OpenSearchIndex } from "../src/adapters/open-search-index.js";
import { RebuildClaimLost, rebuildClaimKey, withRebuildClaim } from "../src/domain/rebuild-claim.js";
import type { SearchDocument } from "../src/ports/search-index.js";
import { judgedCatalog } from "./search-index.contract.js";

const LEASE_MS = 600;

/** One process's view of the shared cache, whose claim renewals can be held back as a stalled process's are: sent once it runs again. */
function stallableRenewals(kv: EmbeddedKeyValueStore): { kv: KeyValueStore; shared: EmbeddedKeyValueStore; stall(): void; resume(): void } {
  let stalled: Promise<void> | undefined;
  let resume = () => undefined as void;
  const proxied = new Proxy(kv, {
    get(target, property) {
      if (property === "extendIfEquals") {
        return async (key: string, expected: string, ttlMs: number) => {
          await stalled;
          return target.extendIfEquals(key, expected, ttlMs);
        };
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return {
    kv: proxied,
    shared: kv,
    stall: () => {
      stalled = new Promise<void>((resolve) => (resume = resolve));
    },
    resume: () => {
      stalled = undefined;
      resume();
    },
  };
}

describeWithRealEngine({ suite: "Search index rebuild that lost its claim", engine: "opensearch", variable: "OPENSEARCH_URL" }, (url) => {
  describe(engineSuiteTitle("Search index rebuild that lost its claim", "opensearch"), { timeout: 120_000 }, () => {
    const base = url.replace(/\/$/, "");
    const aliases: string[] = [];
    const opened: OpenSearchIndex[] = [];
    const send = async (method: string, path: string) => (await fetch(`${base}${path}`, { method })).json() as Promise<any>;
    const indexesOf = async (alias: string) => Object.keys(await send("GET", `/${alias}_*`)).sort();
    const aliasIndexes = async (alias: string) => {
      const found = await send("GET", `/_alias/${alias}`);
      return found.status === 404 ? [] : Object.keys(found).sort();
    };
    const connect = async (alias: string) => {
      const index = await OpenSearchIndex.connect(url, { alias, retireDelayMs: 50, writeTargetTtlMs: 100 });
      opened.push(index);
      return index;
    };
    after(async () => {
      for (const index of opened) await index.close().catch(() => undefined);
      for (const alias of aliases) await fetch(`${base}/${alias}_*`, { method: "DELETE" }).catch(() => undefined);
    });

    /**
     * Rebuild A under the claim: its first half written, then it stalls (its source waits, its
     * renewals are held back) until `wake` is called, and its claim lapses meanwhile.
     */
    async function stalledRebuild(alias: string, cache: ReturnType<typeof stallableRenewals>, catalog: SearchDocument[]) {
      const index = await connect(alias);
      await index.ensureIndex();
      let wake!: () => void;
      const woken = new Promise<void>((resolve) => (wake = resolve));
      let stalledNow = false;
      const source = (async function* () {
        yield catalog.slice(0, catalog.length / 2);
        cache.stall();
        stalledNow = true;
        await woken;
        yield catalog.slice(catalog.length / 2);
      })();
      const rebuilding = withRebuildClaim(cache.kv, alias, (lease) => index.rebuild(source, undefined, { dropAbandonedBuilds: true, lease }), { leaseMs: LEASE_MS });
      rebuilding.catch(() => undefined);
      await waitFor("the rebuild stalls half-way", () => stalledNow, { timeoutMs: 30_000, intervalMs: 20 });
      const build = await aliasIndexes(`${alias}_building`);
      assert.equal(build.length, 1, "its build is behind the building alias");
      await waitFor("its claim lapses", async () => (await cache.kv.get(rebuildClaimKey(alias))) === null, { timeoutMs: 10_000, intervalMs: 50 });
      return {
        build: build[0]!,
        rebuilding,
        wake: () => {
          cache.resume();
          wake();
        },
      };
    }

    it("stops when it wakes after another rebuilder took the claim and deleted its build: no index re-created, the taker's index still served", async () => {
      const alias = `lostclaim_${randomUUID().replaceAll("-", "").slice(0, 10)}`;
      aliases.push(alias);
      const catalog = judgedCatalog().slice(0, 20);
      const cache = stallableRenewals(new EmbeddedKeyValueStore());
      const stalled = await stalledRebuild(alias, cache, catalog);

      // The claim's taker rebuilds in full; holding the claim, it deletes the stalled build as abandoned.
      const taker = await connect(alias);
      const taken = await withRebuildClaim(cache.shared, alias, (lease) =>
        taker.rebuild((async function* () { yield catalog; })(), undefined, { dropAbandonedBuilds: true, lease }),
      );
      assert.equal(taken.claimed, true);
      const served = await aliasIndexes(alias);
      assert.equal(served.length, 1);
      assert.ok(!(await indexesOf(alias)).includes(stalled.build), "the stalled build was deleted by the taker");

      stalled.wake();
      // Stopped by the lost claim, or by its first write finding its index gone: not by a write into an index of its name made anew.
      await assert.rejects(stalled.rebuilding, (error: unknown) => error instanceof RebuildClaimLost || /require_alias/.test(String(error)));
      assert.deepEqual(await aliasIndexes(alias), served, "the alias still names the taker's index");
      assert.ok(!(await indexesOf(alias)).includes(stalled.build), "the stalled rebuild's writes did not create its index again");
      await taker.refresh();
      assert.equal(await taker.count(), catalog.length);
    });

    it("stops when it wakes to find its claim another's, though its build was not deleted, and leaves the served index in place", async () => {
      const alias = `lostclaim_${randomUUID().replaceAll("-", "").slice(0, 10)}`;
      aliases.push(alias);
      const catalog = judgedCatalog().slice(0, 40);
      const cache = stallableRenewals(new EmbeddedKeyValueStore());
      const served = await (async () => {
        const first = await connect(alias);
        await first.ensureIndex();
        return aliasIndexes(alias);
      })();
      const stalled = await stalledRebuild(alias, cache, catalog);
      // Another rebuilder has just taken the claim and not yet started.
      assert.equal(await cache.shared.setIfAbsent(rebuildClaimKey(alias), "another-rebuilder", 60_000), true);

      stalled.wake();
      await assert.rejects(stalled.rebuilding, (error: unknown) => error instanceof RebuildClaimLost);
      assert.deepEqual(await aliasIndexes(alias), served, "the alias was not moved");
      assert.ok(!(await indexesOf(alias)).includes(stalled.build), "the stopped rebuild deleted its own build");
      assert.equal(await cache.shared.get(rebuildClaimKey(alias)), "another-rebuilder", "the taker keeps its claim");
    });
  });
});
