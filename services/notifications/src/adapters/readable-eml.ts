/**
 * An email built for sending, rewritten for a person reading the file: a quoted-printable text
 * body decoded and sent as 8bit, which RFC 5322 files and mail clients take as they take the
 * other. Quoted-printable folds lines at 76 characters, so a mailed link's URL came apart at
 * `=` and line ends, its token's `=` written `=3D`: a developer copying a reset link from the
 * development outbox copied a broken one. A message whose decoded lines would pass RFC 5322's
 * 998 characters, or that is not one quoted-printable text part, is left as it was built.
 */
const MAX_LINE = 998;

export function readableEml(built: string): string {
  const end = built.indexOf("\r\n\r\n");
  if (end < 0) return built;
  const head = built.slice(0, end);
  const encoding = /^Content-Transfer-Encoding: quoted-printable$/im;
  if (!encoding.test(head) || !/^Content-Type: text\/plain/im.test(head)) return built;
  // Lines end as RFC 5322 ends them (the composer kept the text's own "\n").
  const body = decodeQuotedPrintable(built.slice(end + 4)).replace(/\r?\n/g, "\r\n");
  if (body.split("\r\n").some((line) => line.length > MAX_LINE)) return built;
  return `${head.replace(encoding, "Content-Transfer-Encoding: 8bit")}\r\n\r\n${body}`;
}

/** RFC 2045 quoted-printable to text: soft line breaks joined, `=XX` bytes read as UTF-8. */
function decodeQuotedPrintable(encoded: string): string {
  const joined = encoded.replace(/=\r\n/g, "");
  const bytes: number[] = [];
  for (let i = 0; i < joined.length; i++) {
    const hex = joined[i] === "=" ? joined.slice(i + 1, i + 3) : "";
    if (/^[0-9A-F]{2}$/i.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else bytes.push(...Buffer.from(joined[i]!, "utf8"));
  }
  return Buffer.from(bytes).toString("utf8");
}
