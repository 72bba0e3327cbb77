import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The mail of this kind (`password_reset`, `email_verification`, ...) the notification service
 * wrote to `dir` (NOTIFICATIONS_DIR) for `to`, decoded: headers unfolded, quoted-printable
 * undone. Undefined until it is there.
 */
export function mailTo(dir: string, kind: string, to: string): string | undefined {
  for (const file of readdirSync(dir).filter((name) => name.endsWith(".eml") && name.includes(`-${kind}-`))) {
    const mail = readFileSync(join(dir, file), "utf8")
      .replace(/\r\n[ \t]+/g, " ")
      .replace(/=\r?\n/g, "")
      .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    if (mail.split(/\r?\n/).includes(`To: ${to}`)) return mail;
  }
  return undefined;
}
