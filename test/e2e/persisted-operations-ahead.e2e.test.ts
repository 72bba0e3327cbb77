// The persisted manifest's operations are planned in the background as the gateway starts, so
// the first customers after a deploy wait for no planning and hold no planning deposit.
import { after, before, describe, it, mock } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Kind, parse } from "graphql";
import { startTestSupergraph, type TestSupergraph } from "../support/start-test-supergraph.js";

const MANIFEST = "schema/operations/persisted-operations.json";

describe("persisted operations planned ahead", () => {
  let sg: TestSupergraph;
  const written: string[] = [];
  let stderr: ReturnType<typeof mock.method>;
  before(async () => {
    // The logger writes its JSON lines to stderr.
    stderr = mock.method(process.stderr, "write", (chunk: unknown) => {
      written.push(String(chunk));
      return true;
    });
    sg = await startTestSupergraph({ env: { LOG_LEVEL: "info", PERSISTED_OPERATIONS_PATH: MANIFEST } });
  });
  after(async () => {
    stderr.mock.restore();
    await sg?.close();
  });

  it("plans every operation of the manifest, by name and (one to a text) without, before any request", async () => {
    const texts = Object.values(JSON.parse(readFileSync(MANIFEST, "utf8")) as Record<string, string>);
    const expected = texts.reduce((sum, text) => {
      const operations = parse(text).definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION).length;
      return sum + (operations === 1 ? 2 : operations);
    }, 0);
    const deadline = Date.now() + 30_000;
    let line: string | undefined;
    while (!(line = written.find((text) => text.includes("persisted operations planned"))) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(line, "the gateway says it planned the manifest");
    assert.equal((JSON.parse(line) as { operations: number }).operations, expected);
  });
});
