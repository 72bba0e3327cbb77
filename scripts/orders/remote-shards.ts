import pg from "pg";

/**
 * Puts some hash partitions of the live order tables on a second PostgreSQL server with
 * postgres_fdw, the topology the README's design note describes: the coordinator keeps the
 * partitioned parents, the locator and its own partitions; the shard server holds the other
 * partitions as ordinary tables (same migrations, so the same columns, types and per-table
 * keys), attached on the coordinator as foreign tables. Both databases must have every
 * migration applied and hold no orders yet.
 *
 * What it has to give up, and where each guarantee then lives:
 * - PostgreSQL cannot index a foreign table, so the parents lose their primary and unique keys
 *   and the foreign keys that rest on them; each local partition gets its own keys back, and
 *   each remote partition has them on the shard server. As a customer's rows are all in one
 *   partition, every per-customer key ((id, userId), (userId, idempotencyKey), an order's lines)
 *   is still enforced, by the server that holds them.
 * - Order ids stay unique across servers through "OrderLocator", on the coordinator.
 * - The shard server's "Order" and "Payment" no longer reference the locator, and its coupon
 *   trigger is dropped: they belong to the coordinator. One payment per order then rests on the
 *   shard's ("orderId", "userId") key and the coordinator's locator, not on a foreign key; the
 *   commit gaps this leaves between the servers are found by scripts/orders/reconcile-shards.ts.
 */
export interface RemoteShards {
  /** The coordinator's database (the live one the subgraph writes to). */
  coordinatorUrl: string;
  /** The same-named database on the second server. */
  shardUrl: string;
  /** Hash remainders (0..15) whose partitions move to the second server. */
  remainders: readonly number[];
}

// Rows routed to a remote partition are sent in batches (batch_size) rather than one
// round trip each.
/**
 * The partitioned tables, parents before the tables whose keys reference them. Payments are
 * partitioned by customer with the same modulus, so a customer's payment moves with their
 * orders: checkout writes both in one transaction on one server, and a charge never depends
 * on a commit across servers.
 */
export const SHARDED_TABLES = ["Order", "OrderItem", "OrderStatusChange", "Payment", "PaymentAttempt", "PaymentRefund"] as const;
const MODULUS = 16;
const SERVER = "order_shard";

// Each parent's keys, re-created on every local partition once the parent cannot hold them.
const PARTITION_KEYS: Record<(typeof SHARDED_TABLES)[number], string[]> = {
  Order: ['PRIMARY KEY (id, "userId")', 'UNIQUE ("userId", "idempotencyKey")'],
  OrderItem: ['PRIMARY KEY ("orderId", "userId", "variantId")'],
  OrderStatusChange: ['PRIMARY KEY (id, "userId")'],
  Payment: ['PRIMARY KEY (id, "userId")', 'UNIQUE ("orderId", "userId")', 'UNIQUE ("providerIdempotencyKey", "userId")'],
  PaymentAttempt: ['PRIMARY KEY ("paymentId", "userId", kind, number)'],
  PaymentRefund: ['PRIMARY KEY (id, "userId")', 'UNIQUE ("providerIdempotencyKey", "userId")'],
};
// The parents' unique indexes and keys, dropped on the coordinator once foreign partitions join.
const PARENT_UNIQUE = [
  `ALTER TABLE "Order" DROP CONSTRAINT "Order_pkey"`,
  `DROP INDEX "Order_userId_idempotencyKey_key"`,
  `ALTER TABLE "OrderItem" DROP CONSTRAINT "OrderItem_pkey"`,
  `ALTER TABLE "OrderStatusChange" DROP CONSTRAINT "OrderStatusChange_pkey"`,
  `ALTER TABLE "Payment" DROP CONSTRAINT "Payment_pkey"`,
  `DROP INDEX "Payment_orderId_userId_key"`,
  `DROP INDEX "Payment_providerIdempotencyKey_userId_key"`,
  `ALTER TABLE "PaymentAttempt" DROP CONSTRAINT "PaymentAttempt_pkey"`,
  `ALTER TABLE "PaymentRefund" DROP CONSTRAINT "PaymentRefund_pkey"`,
  `DROP INDEX "PaymentRefund_providerIdempotencyKey_userId_key"`,
];

async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

export async function attachRemoteShards({ coordinatorUrl, shardUrl, remainders }: RemoteShards): Promise<void> {
  const shard = new URL(shardUrl);
  const quote = (value: string) => `'${value.replaceAll("'", "''")}'`;
  for (const r of remainders) if (!Number.isInteger(r) || r < 0 || r >= MODULUS) throw new Error(`remainder ${r} is not in 0..${MODULUS - 1}`);

  await withClient(shardUrl, async (client) => {
    await client.query(`ALTER TABLE "Order" DROP CONSTRAINT IF EXISTS "Order_id_fkey"`);
    await client.query(`ALTER TABLE "Payment" DROP CONSTRAINT IF EXISTS "Payment_orderId_userId_fkey"`);
    // The coupon's use comes back on the coordinator, where its redemptions are: the parent's
    // trigger there fires for rows of foreign partitions too.
    await client.query(`DROP TRIGGER IF EXISTS "Order_coupon_release" ON "Order"`);
  });

  await withClient(coordinatorUrl, async (client) => {
    await client.query("BEGIN");
    try {
      // Keys that rest on the parents' unique indexes go first, then those indexes.
      const { rows: keys } = await client.query<{ owner: string; name: string }>(
        `SELECT conrelid::regclass::text AS owner, conname AS name FROM pg_constraint
         WHERE contype = 'f' AND conparentid = 0 AND (confrelid = ANY($1::regclass[]) OR conrelid = ANY($1::regclass[]))`,
        [SHARDED_TABLES.map((t) => `"${t}"`)],
      );
      for (const key of keys) await client.query(`ALTER TABLE ${key.owner} DROP CONSTRAINT "${key.name}"`);
      for (const statement of PARENT_UNIQUE) await client.query(statement);

      await client.query("CREATE EXTENSION IF NOT EXISTS postgres_fdw");
      await client.query(`DROP SERVER IF EXISTS ${SERVER} CASCADE`);
      await client.query(
        `CREATE SERVER ${SERVER} FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host ${quote(shard.hostname)}, port ${quote(shard.port || "5432")}, dbname ${quote(shard.pathname.slice(1))}, batch_size '500')`,
      );
      await client.query(
        `CREATE USER MAPPING FOR CURRENT_USER SERVER ${SERVER} OPTIONS (user ${quote(decodeURIComponent(shard.username))}, password ${quote(decodeURIComponent(shard.password))})`,
      );
      for (let r = 0; r < MODULUS; r += 1) {
        for (const table of SHARDED_TABLES) {
          const partition = `"${table}_p${r}"`;
          if (remainders.includes(r)) {
            await client.query(`ALTER TABLE "${table}" DETACH PARTITION ${partition}`);
            await client.query(`DROP TABLE ${partition}`);
            await client.query(
              `CREATE FOREIGN TABLE ${partition} PARTITION OF "${table}" FOR VALUES WITH (MODULUS ${MODULUS}, REMAINDER ${r}) SERVER ${SERVER} OPTIONS (table_name ${quote(`${table}_p${r}`)})`,
            );
          } else {
            for (const key of PARTITION_KEYS[table]) await client.query(`ALTER TABLE ${partition} ADD ${key}`);
          }
        }
      }
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK");
      throw error;
    }
  });
}

/** The hash remainder (partition number) PostgreSQL gives a customer. */
export async function remainderOf(client: pg.Client, userId: string): Promise<number> {
  const { rows } = await client.query<{ r: number }>(`SELECT r FROM generate_series(0, ${MODULUS - 1}) r WHERE satisfies_hash_partition('"Order"'::regclass, ${MODULUS}, r, $1::text)`, [
    userId,
  ]);
  return rows[0]!.r;
}
