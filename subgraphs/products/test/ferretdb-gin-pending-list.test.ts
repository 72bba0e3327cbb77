import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { randomUUID } from "node:crypto";
import { MongoClient } from "mongodb";
import pg from "pg";
import { describeWithRealEngine } from "#kernel/testing";
import { generateCatalog } from "../src/catalog/generate-catalog.js";
import { MongoProductStore } from "../src/adapters/mongo-product-store.js";
import { productQueries } from "../src/adapters/mongo-product-queries.js";

// FerretDB answers a pushed-down equality from the GIN twins of scripts/services/ferretdb/gin-twins.sql.
// A twin's pending list is read whole by every lookup until a vacuum merges it, so a catalog
// that takes writes between vacuums pays for each one on every read: the twins keep none.
const DATABASE = "storefront_test";
const PRODUCTS = 3_000;

describeWithRealEngine({ suite: "GIN twins without a pending list", engine: "mongodb", variable: "MONGO_URL" }, (url) => {
  describe("GIN twins of FerretDB's indexes", { timeout: 300_000 }, () => {
    // Letters only: FerretDB spells digits of a collection's name differently in its table's.
    const collection = `gin_pending_${randomUUID().replace(/[^a-f]/g, "").slice(0, 8)}`;
    let mongo: MongoClient;
    let backend: pg.Client | undefined;
    let store: MongoProductStore;

    before(async () => {
      mongo = await MongoClient.connect(url);
      const ferretdb = (await mongo.db(DATABASE).command({ buildInfo: 1 })).ferretdbVersion !== undefined;
      if (!ferretdb || !process.env.DATABASE_URL) return;
      // FerretDB stores into the `ferretdb` database of the PostgreSQL beside the platform's (scripts/services.sh).
      const backendUrl = new URL(process.env.DATABASE_URL);
      backendUrl.pathname = "/ferretdb";
      backend = new pg.Client({ connectionString: backendUrl.toString() });
      await backend.connect();
      await backend.query("CREATE EXTENSION IF NOT EXISTS pgstattuple");
      store = await MongoProductStore.connect(url, { database: DATABASE, collection });
      const products = [...generateCatalog({ count: PRODUCTS })].map(({ product }) => product);
      for (let i = 0; i < products.length; i += 500) await store.insertMany(products.slice(i, i + 500), { announce: false });
    });

    after(async () => {
      await store?.close();
      for (const name of [collection, `${collection}_counters`, `${collection}_skus`]) await mongo?.db(DATABASE).collection(name).drop().catch(() => undefined);
      await backend?.end();
      await mongo?.close();
    });

    /** The collection's GIN twins with their pending pages and whether they keep a pending list. */
    async function twins(): Promise<{ name: string; pendingPages: number; fastupdate: boolean }[]> {
      const { rows } = await backend!.query<{ name: string; pending_pages: number; reloptions: string[] | null }>(
        `SELECT c.relname AS name, (pgstatginindex(c.oid)).pending_pages, c.reloptions
           FROM pg_class c JOIN pg_am am ON am.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace
           JOIN pg_index i ON i.indexrelid = c.oid JOIN pg_class t ON t.oid = i.indrelid
          WHERE am.amname = 'gin' AND n.nspname = $1 AND t.relname LIKE $2`,
        [DATABASE, `${collection}\\_%`],
      );
      return rows.map((row) => ({ name: row.name, pendingPages: Number(row.pending_pages), fastupdate: !(row.reloptions ?? []).includes("fastupdate=off") }));
    }

    it("writes a collection's documents into its twins' trees, leaving nothing for a lookup to read through", async (t) => {
      if (!backend) return t.skip("not FerretDB on a PostgreSQL of DATABASE_URL");
      const found = await twins();
      assert.ok(found.some((twin) => twin.name.includes("_id_")), `an _id twin among ${found.map((twin) => twin.name).join(", ")}`);
      for (const twin of found) {
        assert.equal(twin.fastupdate, false, `${twin.name} keeps a pending list`);
        assert.equal(twin.pendingPages, 0, `${twin.name} has ${twin.pendingPages} pending pages after ${PRODUCTS} writes`);
      }
      const doc = await mongo.db(DATABASE).collection(collection).findOne(productQueries.byId("prod_0001234") as never);
      assert.equal(doc?._id, "prod_0001234");
    });

    it("turns the pending list off on a twin made with one, and merges what waits in it", async (t) => {
      if (!backend) return t.skip("not FerretDB on a PostgreSQL of DATABASE_URL");
      const [idTwin] = (await twins()).filter((twin) => twin.name.includes("_id_"));
      const qualified = `"${DATABASE}"."${idTwin!.name}"`;
      // A twin as an older setup made it, written to since.
      await backend!.query(`ALTER INDEX ${qualified} SET (fastupdate = on)`);
      const more = [...generateCatalog({ count: 200, startAt: PRODUCTS + 1 })].map(({ product }) => product);
      await store.insertMany(more, { announce: false });
      assert.ok((await twins()).find((twin) => twin.name === idTwin!.name)!.pendingPages > 0, "the older twin collected pending entries");

      await backend!.query("SELECT ferretdb_gin_twins_backfill()");
      const after = (await twins()).find((twin) => twin.name === idTwin!.name)!;
      assert.deepEqual(after, { name: idTwin!.name, pendingPages: 0, fastupdate: false });
    });
  });
});
