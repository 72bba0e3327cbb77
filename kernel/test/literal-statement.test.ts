import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Prisma } from "../../prisma/generated/client/client.js";
import { withLiterals } from "../src/relational/literal-statement.js";

describe("a statement written with literals", () => {
  it("quotes a value so nothing it holds ends the literal", () => {
    assert.equal(withLiterals(Prisma.sql`SELECT ${"it's"} AS a`), "SELECT 'it''s' AS a");
    assert.equal(withLiterals(Prisma.sql`SELECT ${"a\\b"} AS a`), "SELECT  E'a\\\\b' AS a");
  });

  it("refuses a value holding a NUL, which would end the statement's text where it stands", () => {
    assert.throws(() => withLiterals(Prisma.sql`UPDATE "Order" SET status = ${"PAID\u0000'; DROP TABLE x; --"} WHERE id = ${"o1"}`), /NUL/);
  });
});
