import { mkdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import MailComposer from "nodemailer/lib/mail-composer";
import type { NotificationMessage } from "../domain/notification.js";
import type { NotificationSender } from "../ports/notification-sender.js";
import { toMailOptions } from "./mail-options.js";
import { readableEml } from "./readable-eml.js";

/**
 * The embedded mode's outbox: one readable file per message under `dir`, named so that a
 * listing sorts by time: `<time>-<kind>-<id>.eml` for emails (a complete RFC 5322 message,
 * which mail clients open, its text readable as written: `readable-eml.ts`) and `.json` for SMS.
 * A resent message overwrites its own file.
 */
export class FolderNotificationSender implements NotificationSender {
  readonly engine = "folder";

  constructor(
    readonly dir: string,
    private readonly from: string,
  ) {}

  async send(message: NotificationMessage): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const stem = `${message.occurredAt.replace(/[:.]/g, "-")}-${message.kind.toLowerCase()}-${message.id}`;
    const content =
      message.channel === "email"
        ? readableEml((await new MailComposer(toMailOptions(message, this.from)).compile().build()).toString("utf8"))
        : JSON.stringify({ to: message.to, text: message.text, kind: message.kind, orderId: message.orderId, id: message.id }, null, 2) + "\n";
    const file = join(this.dir, `${stem}.${message.channel === "email" ? "eml" : "json"}`);
    // Written aside, then renamed: a reader never sees half a message.
    await writeFile(`${file}.partial`, content);
    await rename(`${file}.partial`, file);
  }

  async close(): Promise<void> {}
}
