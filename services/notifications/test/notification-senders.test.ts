import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { SMTPServer } from "smtp-server";
import { FolderNotificationSender, SmtpNotificationSender, type NotificationMessage } from "../src/index.js";

const message = (overrides: Partial<NotificationMessage> = {}): NotificationMessage => ({
  id: "evt-1.email",
  channel: "email",
  to: "shopper-1@customers.storefront.example",
  kind: "PAYMENT_CONFIRMED",
  userId: "shopper-1",
  orderId: "ord_1",
  subject: "Payment received for order ord_1",
  text: "We received your payment of $25.99 for order ord_1.",
  occurredAt: "2026-01-02T03:04:05.678Z",
  ...overrides,
});

describe("SmtpNotificationSender", () => {
  it("hands the email to an SMTP server with its recipient, subject and stable Message-ID", async () => {
    const received: { from?: string; to: string[]; data: string }[] = [];
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS"],
      logger: false,
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on("data", (chunk: Buffer) => chunks.push(chunk));
        stream.on("end", () => {
          const from = session.envelope.mailFrom;
          received.push({ from: from ? from.address : undefined, to: session.envelope.rcptTo.map((r) => r.address), data: Buffer.concat(chunks).toString("utf8") });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    const { port } = server.server.address() as { port: number };
    const sender = new SmtpNotificationSender(`smtp://127.0.0.1:${port}`, "Storefront <orders@storefront.example>");
    try {
      await sender.send(message());
      assert.equal(received.length, 1);
      assert.equal(received[0]!.from, "orders@storefront.example");
      assert.deepEqual(received[0]!.to, ["shopper-1@customers.storefront.example"]);
      assert.match(received[0]!.data, /^Subject: Payment received for order ord_1$/m);
      assert.match(received[0]!.data, /^Message-ID: <evt-1\.email@notifications\.storefront\.example>$/m);
      assert.match(received[0]!.data, /^X-Storefront-Order: ord_1$/m);
    } finally {
      await sender.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("rejects when the SMTP server cannot be reached, so the dispatcher retries", async () => {
    const sender = new SmtpNotificationSender("smtp://127.0.0.1:9", "Storefront <orders@storefront.example>");
    await assert.rejects(sender.send(message()));
    await sender.close();
  });
});

describe("FolderNotificationSender", () => {
  it("writes a mailed link whole on one line, as a person reading the file copies it, with its text's other characters as written", async () => {
    const dir = mkdtempSync(join(tmpdir(), "storefront-folder-sender-"));
    try {
      const link = "http://127.0.0.1:42910/shop/reset-password#token=1g1EZzI-Akr5nxclDukWeuy838MteDzdLGEDTWs4CE0";
      const text = `Someone asked to reset the password of your Storefront account, Zoë. To choose a new one, open this link within 30 minutes:\n\n${link}\n\nThe link works once.`;
      const sender = new FolderNotificationSender(dir, "Storefront <orders@storefront.example>");
      await sender.send(message({ kind: "PASSWORD_RESET", subject: "Reset your Storefront password", text }));
      const mail = readFileSync(join(dir, readdirSync(dir)[0]!), "utf8");
      assert.ok(mail.split("\r\n").includes(link), mail);
      assert.match(mail, /^Content-Transfer-Encoding: 8bit$/m);
      const body = mail.slice(mail.indexOf("\r\n\r\n") + 4);
      assert.equal(body.replace(/\r\n/g, "\n").trimEnd(), text);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("writes one file per message, overwriting its own file on a resend, and SMS as JSON", async () => {
    const dir = mkdtempSync(join(tmpdir(), "storefront-folder-sender-"));
    try {
      const sender = new FolderNotificationSender(join(dir, "nested"), "Storefront <orders@storefront.example>");
      await sender.send(message());
      await sender.send(message());
      await sender.send(message({ id: "evt-1.sms", channel: "sms", to: "+15550100" }));
      const files = readdirSync(join(dir, "nested")).sort();
      assert.deepEqual(files, ["2026-01-02T03-04-05-678Z-payment_confirmed-evt-1.email.eml", "2026-01-02T03-04-05-678Z-payment_confirmed-evt-1.sms.json"]);
      const sms = JSON.parse(readFileSync(join(dir, "nested", files[1]!), "utf8"));
      assert.equal(sms.to, "+15550100");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
