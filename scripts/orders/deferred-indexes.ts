import type pg from "pg";

// Kept in the database, so a load stopped half-way and resumed still rebuilds what it dropped.
const PENDING = "_order_history_load_deferred";

/**
 * Runs a bulk load into empty tables without their foreign keys and secondary indexes, then
 * rebuilds them, as pg_restore does: maintaining five random-key B-trees and a foreign-key
 * trigger per row costs about four times the rows themselves, while one sorted index build at
 * the end is cheap. Primary keys stay, so a repeated order number still fails loudly. The
 * statements that rebuild are saved in a table first and run from there, so a resumed load
 * rebuilds them too. On partitioned tables only the parents' indexes and keys are taken
 * (conparentid = 0): PostgreSQL drops and re-creates the partitions' own with them.
 */
export async function deferringIndexes(client: pg.Client): Promise<boolean> {
  const { rows } = await client.query<{ defer: boolean }>(`SELECT to_regclass('${PENDING}') IS NOT NULL OR NOT EXISTS (SELECT 1 FROM "Order") AS defer`);
  return rows[0]!.defer;
}

export async function withDeferredIndexes(client: pg.Client, tables: string[], load: () => Promise<void>, report: (line: string) => void): Promise<void> {
  await client.query(`CREATE TABLE IF NOT EXISTS ${PENDING} (position serial PRIMARY KEY, statement text NOT NULL)`);
  const { rows: saved } = await client.query<{ count: string }>(`SELECT count(*) FROM ${PENDING}`);
  if (Number(saved[0]!.count) === 0) {
    const names = tables.map((table) => `"${table}"`);
    const { rows: indexes } = await client.query<{ name: string; definition: string }>(
      `SELECT i.relname AS name, pg_get_indexdef(i.oid) AS definition FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
       WHERE x.indrelid::regclass::text = ANY($1) AND NOT x.indisprimary`, [names]);
    const { rows: keys } = await client.query<{ owner: string; name: string; definition: string }>(
      `SELECT conrelid::regclass::text AS owner, conname AS name, pg_get_constraintdef(oid) AS definition FROM pg_constraint
       WHERE conrelid::regclass::text = ANY($1) AND contype = 'f' AND conparentid = 0`, [names]);
    await client.query("BEGIN");
    // pg_get_indexdef names a partitioned parent "ON ONLY", which would build no partition's index.
    for (const index of indexes) await client.query(`INSERT INTO ${PENDING} (statement) VALUES ($1)`, [index.definition.replace(" ON ONLY ", " ON ")]);
    for (const key of keys) await client.query(`INSERT INTO ${PENDING} (statement) VALUES ($1)`, [`ALTER TABLE ${key.owner} ADD CONSTRAINT "${key.name}" ${key.definition}`]);
    for (const key of keys) await client.query(`ALTER TABLE ${key.owner} DROP CONSTRAINT "${key.name}"`);
    for (const index of indexes) await client.query(`DROP INDEX "${index.name}"`);
    await client.query("COMMIT");
  }
  await load();
  const { rows: statements } = await client.query<{ position: number; statement: string }>(`SELECT position, statement FROM ${PENDING} ORDER BY position`);
  await client.query("SET maintenance_work_mem = '512MB'");
  for (const { position, statement } of statements) {
    const startedAt = performance.now();
    // A rebuild that finished just before a stop is not an error when resumed.
    await client.query(statement.replace(/^CREATE (UNIQUE )?INDEX /, "CREATE $1INDEX IF NOT EXISTS ")).catch((error: { code?: string }) => {
      if (error.code !== "42710") throw error;
    });
    await client.query(`DELETE FROM ${PENDING} WHERE position = $1`, [position]);
    report(`rebuilt in ${((performance.now() - startedAt) / 1000).toFixed(1)} s: ${statement.slice(0, 110)}`);
  }
  await client.query(`DROP TABLE ${PENDING}`);
}
