// Scrapes stay cheap and bounded: an engine that hangs or fails costs a scrape at most the
// collector's deadline, says so in storefront_metrics_collector_up, and is asked once at a time.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MAX_OPERATION_NAMES, errorCodeLabel, operationLabel, registerKnownOperationNames, registerPersistedOperationNames, renderMetrics, watchOutboxBacklog, watchStockMirror } from "#kernel";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const sampleOf = (text: string, line: RegExp) => Number(line.exec(text)?.[1]);

describe("bounded metric collectors", () => {
  it("a hanging database costs a scrape one deadline, is asked once by concurrent scrapes, and reports the collector down", async () => {
    let asked = 0;
    let giveUp = () => {};
    const unwatch = watchOutboxBacklog({ $queryRawUnsafe: () => (asked++, new Promise<never>((_, reject) => (giveUp = () => reject(new Error("connection reset"))))) });
    try {
      const startedAt = performance.now();
      const texts = await Promise.all(Array.from({ length: 8 }, () => renderMetrics()));
      const took = performance.now() - startedAt;
      assert.ok(took < 2_500, `scrapes took ${took} ms`);
      assert.equal(asked, 1, "one query for concurrent scrapes");
      for (const text of texts) assert.equal(sampleOf(text, /^storefront_metrics_collector_up\{collector="outbox"\} (\d+)$/m), 0);
      // The query is still stuck: the next scrape says so at once instead of asking again.
      const again = performance.now();
      assert.equal(sampleOf(await renderMetrics(), /^storefront_metrics_collector_up\{collector="outbox"\} (\d+)$/m), 0);
      assert.ok(performance.now() - again < 500);
      assert.equal(asked, 1, "a stalled engine is not asked again while its query hangs");
    } finally {
      unwatch();
      // The driver's own timeout ends the stuck query at last.
      giveUp();
    }
  });

  it("a failing database reports down, then the next scrape after it recovers reports the backlog", async () => {
    let fail = true;
    const unwatch = watchOutboxBacklog({
      $queryRawUnsafe: async <T>() => {
        if (fail) throw new Error("connection refused");
        return [{ backlog: 7, oldest: 1.5 }] as T;
      },
    });
    try {
      assert.equal(sampleOf(await renderMetrics(), /^storefront_metrics_collector_up\{collector="outbox"\} (\d+)$/m), 0);
      fail = false;
      const text = await renderMetrics();
      assert.equal(sampleOf(text, /^storefront_outbox_backlog_events (\d+)$/m), 7);
      assert.equal(sampleOf(text, /^storefront_outbox_oldest_event_age_seconds ([\d.]+)$/m), 1.5);
      assert.equal(sampleOf(text, /^storefront_metrics_collector_up\{collector="outbox"\} (\d+)$/m), 1);
    } finally {
      unwatch();
    }
    const idle = await renderMetrics();
    assert.doesNotMatch(idle, /^storefront_metrics_collector_up\{collector="outbox"\}/m, "no relay, nothing asked");
    assert.equal(sampleOf(idle, /^storefront_outbox_backlog_events (\d+)$/m), 0);
  });

  it("the stock mirror's counters never go down when a mirror stops, and trust is reported per state", async () => {
    const state = { trusted: true, epoch: "17", admitted: 5, bypassed: 1, rebuilds: 1, adopted: 2, doubts: 0 };
    const unwatch = watchStockMirror(() => state, "redis");
    let text = await renderMetrics();
    assert.equal(sampleOf(text, /^storefront_stock_mirror_trusted\{engine="redis"\} (\d)$/m), 1);
    assert.match(text, /^storefront_stock_mirror_info\{engine="redis",epoch="17"\} 1$/m);
    state.trusted = false;
    state.doubts = 2;
    text = await renderMetrics();
    assert.equal(sampleOf(text, /^storefront_stock_mirror_trusted\{engine="redis"\} (\d)$/m), 0);
    assert.match(text, /^storefront_stock_mirror_info\{engine="redis",epoch="none"\} 1$/m);
    unwatch();
    unwatch();
    text = await renderMetrics();
    assert.equal(sampleOf(text, /^storefront_stock_mirror_admissions_total (\d+)$/m), 5);
    assert.equal(sampleOf(text, /^storefront_stock_mirror_doubts_total (\d+)$/m), 2);
    assert.equal(sampleOf(text, /^storefront_stock_mirror_adoptions_total (\d+)$/m), 2);
    assert.doesNotMatch(text, /^storefront_stock_mirror_trusted/m, "no inventory, no trust to report");
  });
});

describe("label values from clients", () => {
  it("operation names: well-formed ones up to the cap, then other; malformed and overlong ones are other; known ones always", () => {
    assert.equal(operationLabel("labels-test", undefined), "anonymous");
    assert.equal(operationLabel("labels-test", "a b"), "other");
    assert.equal(operationLabel("labels-test", "x".repeat(81)), "other");
    assert.equal(operationLabel("labels-test", 'Evil"}\n'), "other");
    for (let i = 0; i < MAX_OPERATION_NAMES; i++) assert.equal(operationLabel("labels-test", `Op${i}`), `Op${i}`);
    assert.equal(operationLabel("labels-test", "OneTooMany"), "other");
    assert.equal(operationLabel("labels-test", "Op3"), "Op3", "admitted names stay admitted");
    assert.equal(operationLabel("other-server", "OneTooMany"), "OneTooMany", "each server has its own cap");
    registerKnownOperationNames(["ProductPage"]);
    assert.equal(operationLabel("labels-test", "ProductPage"), "ProductPage");
  });

  it("a subgraph counts the gateway's fetches of a known operation under their own names after a flood of client-chosen ones", () => {
    // The gateway names each fetch of a plan `<operation>__<subgraph>__<n>` after the client's
    // operation name, so at a subgraph every name is a client's: 150 invented ones took every
    // place, and the persisted operations' fetches were counted as other from then on.
    for (let i = 0; i < MAX_OPERATION_NAMES; i++) operationLabel("fetch-labels-test", `Flood${i}__accounts__0`);
    assert.equal(operationLabel("fetch-labels-test", "Invented__accounts__0"), "other");
    registerKnownOperationNames(["MyOrders"]);
    assert.equal(operationLabel("fetch-labels-test", "MyOrders__orders__0"), "MyOrders__orders__0");
    assert.equal(operationLabel("fetch-labels-test", "MyOrders__accounts__12"), "MyOrders__accounts__12");
    // Only that shape, of that name: a look-alike is a client's name like any other.
    assert.equal(operationLabel("fetch-labels-test", "MyOrdersX__orders__0"), "other");
    assert.equal(operationLabel("fetch-labels-test", "MyOrders__orders__x"), "other");
    assert.equal(operationLabel("fetch-labels-test", "MyOrders__orders"), "other");
    assert.equal(operationLabel("fetch-labels-test", "X__MyOrders__orders__0"), "other");
    // A known name of 80 characters keeps its fetches' series, longer than a name may be.
    const longest = `L${"o".repeat(78)}g`;
    registerKnownOperationNames([longest]);
    assert.equal(operationLabel("fetch-labels-test", `${longest}__orders__0`), `${longest}__orders__0`);
  });

  it("a subgraph process reads the persisted-operation manifest's names, as the gateway does, so their fetches keep their series there", () => {
    const manifest = join(mkdtempSync(join(tmpdir(), "manifest-labels-")), "operations.json");
    writeFileSync(manifest, JSON.stringify({ a: "query ShelfPage($id: ID!) { product(id: $id) { id } }", b: "mutation   RestockShelf { __typename }" }));
    for (let i = 0; i < MAX_OPERATION_NAMES; i++) operationLabel("manifest-labels-test", `Flood${i}__inventory__0`);
    assert.equal(operationLabel("manifest-labels-test", "ShelfPage__products__0"), "other");
    assert.equal(registerPersistedOperationNames(manifest), true);
    assert.equal(operationLabel("manifest-labels-test", "ShelfPage__products__0"), "ShelfPage__products__0");
    assert.equal(operationLabel("manifest-labels-test", "RestockShelf__inventory__1"), "RestockShelf__inventory__1");
    // An unreadable manifest registers nothing and says so, rather than stopping the process.
    assert.equal(registerPersistedOperationNames(join(tmpdir(), "no-such-manifest.json")), false);
  });

  it("error codes: ours as they are, anything else masked or bounded", () => {
    assert.equal(errorCodeLabel("RATE_LIMITED"), "RATE_LIMITED");
    assert.equal(errorCodeLabel(undefined), "INTERNAL_SERVER_ERROR");
    assert.equal(errorCodeLabel({ toString: () => "X" }), "INTERNAL_SERVER_ERROR");
    assert.equal(errorCodeLabel("lower_case"), "INTERNAL_SERVER_ERROR");
    for (let i = 0; i < 100; i++) errorCodeLabel(`CODE_${i}`);
    assert.equal(errorCodeLabel("ANOTHER_NEW_CODE"), "OTHER");
  });
});
