// An app handles errors by their code: the README's table of codes is the one place a client's
// developer learns them, so it lists every code an answer may carry, and no other.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { ErrorCode, LIBRARY_ERROR_CODES } from "#kernel";

function codesInReadmeTable(): string[] {
  const readme = readFileSync("README.md", "utf8");
  const start = readme.indexOf("### Error codes");
  assert.ok(start >= 0, "README has an Error codes section");
  const section = readme.slice(start, readme.indexOf("\n## ", start));
  return [...section.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((match) => match[1]!);
}

test("the README's table of error codes lists each code an answer may carry once, and no other", () => {
  const documented = codesInReadmeTable();
  assert.deepEqual(documented.filter((code, index) => documented.indexOf(code) !== index), [], "codes listed twice");
  const sent = new Set([...Object.values(ErrorCode), ...LIBRARY_ERROR_CODES]);
  assert.deepEqual([...sent].filter((code) => !documented.includes(code)), [], "codes answers carry that the README does not explain");
  assert.deepEqual(documented.filter((code) => !sent.has(code)), [], "codes the README explains that no answer carries");
});
