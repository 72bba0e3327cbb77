import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { startPrivatePostgres, type PrivateEngine } from "../../test/support/private-engines.js";

/**
 * The embedded PostgreSQL (zero-setup mode, and the private servers the fleet benchmark kills)
 * must keep every commit it acknowledged when its process dies: a crash that forgets an
 * acknowledged add to cart or a PAID transition whose event offset was already committed
 * leaves an empty cart or an order PENDING forever. Asynchronous commit acknowledges before the
 * WAL is written, so a kill -9 right after a burst of commits loses its tail.
 */
describe("embedded PostgreSQL keeps acknowledged commits across kill -9", () => {
  let server: PrivateEngine;

  before(async () => {
    server = await startPrivatePostgres();
  });
  after(async () => {
    await server?.close();
  });

  it("every row whose commit was acknowledged is there after the server is killed and started again", async () => {
    const setup = new pg.Client({ connectionString: server.url });
    await setup.connect();
    await setup.query("CREATE TABLE acknowledged (n int PRIMARY KEY, filler text NOT NULL)");
    await setup.end();

    // Several rounds: each ends with a kill a moment after the last acknowledgement, when the
    // WAL writer (200 ms cycle) has not had its turn yet.
    let acknowledged = 0;
    for (let round = 0; round < 3; round++) {
      const client = new pg.Client({ connectionString: server.url });
      await client.connect();
      client.on("error", () => undefined);
      for (let i = 0; i < 200; i++) {
        await client.query("INSERT INTO acknowledged (n, filler) VALUES ($1, repeat('x', 200))", [acknowledged]);
        acknowledged++;
      }
      await server.crash();
      await client.end().catch(() => undefined);
      await server.start();
    }

    const check = new pg.Client({ connectionString: server.url });
    await check.connect();
    const { rows } = await check.query<{ count: string; max: number | null }>("SELECT count(*) AS count, max(n) AS max FROM acknowledged");
    await check.end();
    assert.equal(Number(rows[0]!.count), acknowledged, `rows kept after the kills (max n ${rows[0]!.max}) against commits acknowledged`);
  });
});
