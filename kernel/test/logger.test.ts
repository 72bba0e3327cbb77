import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createLogger } from "#kernel";

describe("the JSON logger", () => {
  it("writes one JSON line an event, at or above its level, with its child's fields", () => {
    const lines: string[] = [];
    const logger = createLogger("info", { service: "s" }, (line) => lines.push(line));
    logger.debug("hidden");
    logger.info("shown", { n: 1 });
    const child = logger.child({ requestId: "r1" });
    child.warn("child", { n: 2 });
    child.child({ userId: "u1" }).error("grandchild");
    logger.info("parent unchanged");
    const events = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(
      events.map(({ time, ...rest }) => (assert.ok(!Number.isNaN(Date.parse(String(time)))), rest)),
      [
        { level: "info", event: "shown", service: "s", n: 1 },
        { level: "warn", event: "child", service: "s", requestId: "r1", n: 2 },
        { level: "error", event: "grandchild", service: "s", requestId: "r1", userId: "u1" },
        { level: "info", event: "parent unchanged", service: "s" },
      ],
    );
    assert.equal(createLogger("silent", {}, (line) => lines.push(line)).child({}).error("never"), undefined);
    assert.equal(lines.length, 4);
  });

  it("makes no functions per child logger (one is made per subgraph request)", () => {
    const logger = createLogger("info", {}, () => undefined);
    const child = logger.child({ requestId: "r1" });
    for (const method of ["debug", "info", "warn", "error", "child"] as const) assert.equal(child[method], logger[method], method);
  });
});
