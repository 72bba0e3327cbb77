import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { createLogger, loadConfig, openPlatform, sessionKey, userSessionsKey } from "#kernel";
import { JournaledKeyValueStore } from "#kernel/cache/journaled-key-value-store.ts";

const dirs: string[] = [];
const freshDir = async () => {
  const dir = await mkdtemp(join(tmpdir(), "journaled-kv-"));
  dirs.push(dir);
  return dir;
};
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe("JournaledKeyValueStore across a restart", () => {
  const clock = { now: 1_000_000 };
  const open = (dir: string) => JournaledKeyValueStore.open(dir, { keptPrefixes: ["kept:"], now: () => clock.now });

  it("gives back a kept key with the expiry it was set with, and forgets the others", async () => {
    const dir = await freshDir();
    const first = await open(dir);
    await first.set("kept:a", "1", 60_000);
    await first.set("kept:forever", "2");
    await first.set("other:a", "3", 60_000);
    await first.increment("other:counter", 5, 60_000);
    await first.close();

    clock.now += 59_000;
    const second = await open(dir);
    assert.deepEqual(await second.getMany(["kept:a", "kept:forever", "other:a", "other:counter"]), ["1", "2", null, null]);
    clock.now += 1_000;
    assert.equal(await second.get("kept:a"), null, "expires when it would have without the restart");
    await second.close();
  });

  it("keeps a kept key deleted, and does not bring back one that expired while stopped", async () => {
    const dir = await freshDir();
    const first = await open(dir);
    await first.set("kept:deleted", "1", 60_000);
    await first.set("kept:released", "owner", 60_000);
    await first.set("kept:short", "1", 1_000);
    await first.delete("kept:deleted");
    assert.equal(await first.deleteIfEquals("kept:released", "owner"), true);
    await first.close();

    clock.now += 2_000;
    const second = await open(dir);
    assert.deepEqual(await second.getMany(["kept:deleted", "kept:released", "kept:short"]), [null, null, null]);
    await second.close();
  });
});

describe("the one-process platform's ended sessions", () => {
  it("are still ended after the platform is opened again on the same data directory", async () => {
    const dataDir = await freshDir();
    const config = loadConfig({ APP_ENV: "test", EMBEDDED_DATA_DIR: dataDir, LOG_LEVEL: "silent" });
    const logger = createLogger("silent", { service: "test" });
    const options = { needsDatabase: false, keepEmbeddedData: true };

    const first = await openPlatform(config, logger, options);
    await first.kv.set(sessionKey("fam_logged_out"), "1", 3_600_000);
    await first.kv.set(userSessionsKey("usr_reset"), "1796498000", 3_600_000);
    await first.kv.set("rate:usr_reset", "7", 60_000);
    await first.close();

    const second = await openPlatform(config, logger, options);
    try {
      assert.equal(await second.kv.get(sessionKey("fam_logged_out")), "1", "a logged-out session stays ended");
      assert.equal(await second.kv.get(userSessionsKey("usr_reset")), "1796498000", "a password reset still ends the older tokens");
      assert.equal(await second.kv.get("rate:usr_reset"), null, "short windows are not kept");
    } finally {
      await second.close();
    }
  });
});
