import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Every mail of this kind (`password_reset`, `email_verification`, ...) the notification
 * service wrote to `dir` (NOTIFICATIONS_DIR) for `to`, decoded: headers unfolded,
 * quoted-printable undone.
 */
export function mailsTo(dir: string, kind: string, to: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith(".eml") && name.includes(`-${kind}-`))
    .map((file) => decodedMail(readFileSync(join(dir, file), "utf8")))
    .filter((mail) => mail.split(/\r?\n/).includes(`To: ${to}`));
}

/** The first mail of this kind for `to` (as mailsTo reads it); undefined until one is there. */
export function mailTo(dir: string, kind: string, to: string): string | undefined {
  return mailsTo(dir, kind, to)[0];
}

/**
 * A mail file as a person reads it: headers unfolded, and a quoted-printable body decoded (the
 * outbox writes its text as 8bit, which stays as written: a token's "=AB" is no escape there).
 */
export function decodedMail(file: string): string {
  const mail = file.replace(/\r\n[ \t]+/g, " ");
  if (!/^Content-Transfer-Encoding: quoted-printable$/im.test(mail)) return mail;
  return mail.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}
