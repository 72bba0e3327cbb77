import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import pg from "pg";
import { realEngineUrl } from "#kernel/testing";
import { createTestDatabase } from "../../../../test/support/test-database.js";
import { applyMigrations } from "../../../../scripts/migrate/apply-migrations.js";
import { attachRemoteShards } from "../../../../scripts/orders/remote-shards.js";

/**
 * A fresh coordinator database on the real PostgreSQL and a same-schema database on the
 * second server, with the partitions of `remainders` moved there (scripts/orders/remote-shards.ts),
 * and a client on each; `close` drops both.
 */
export async function openTwoServers(shardAdminUrl: string, remainders: readonly number[]) {
  assert.ok(realEngineUrl("DATABASE_URL"), "the coordinator is the real PostgreSQL (DATABASE_URL)");
  const coordinator = await createTestDatabase("real");
  const url = new URL(shardAdminUrl);
  url.pathname = `/shard_${randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const shardUrl = url.toString();
  const c = new pg.Client({ connectionString: coordinator.url });
  const s = new pg.Client({ connectionString: shardUrl });
  const close = async () => {
    await c.end().catch(() => undefined);
    await s.end().catch(() => undefined);
    await coordinator.drop();
    const admin = new pg.Client({ connectionString: shardAdminUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${url.pathname.slice(1)} WITH (FORCE)`).finally(() => admin.end());
  };
  try {
    await applyMigrations(shardUrl);
    await attachRemoteShards({ coordinatorUrl: coordinator.url, shardUrl, remainders });
    await c.connect();
    await s.connect();
  } catch (error) {
    await close();
    throw error;
  }
  return { coordinatorUrl: coordinator.url, shardUrl, c, s, close };
}
