/**
 * Characters with a meaning in an address header (RFC 5322's specials and whitespace): a display
 * name's angle brackets, a comment's parentheses, a quoted string, a route's colon, a domain
 * literal's brackets, a list's comma or semicolon. Mail software reads an address holding one as
 * something else than one mailbox: nodemailer sent `ann<mallory@evil.example>`'s mail to
 * mallory@evil.example, `ann;mallory@evil.example`'s too, and `ann(x)@example.com`'s to
 * ann@example.com, a second account for a mailbox that already had one.
 */
const ADDRESS_SYNTAX = /[\s<>()[\]\\,;:"]/;

/**
 * Whether an email address is one plain mailbox, `local@domain`, that mail software reads as
 * nothing else: one @ with text either side and none of the address header's special characters.
 */
export function isPlainMailbox(address: string): boolean {
  const at = address.indexOf("@");
  return at > 0 && at === address.lastIndexOf("@") && at < address.length - 1 && !ADDRESS_SYNTAX.test(address);
}
