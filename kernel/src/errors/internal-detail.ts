/**
 * Recognises text that describes the server rather than the request: stack frames, source
 * paths, SQL, and the messages of database drivers and ORMs. The error formatter withholds
 * such text from clients whatever the error's code, because a coded error can still carry a
 * message that came from a driver (a message built from a caught error, or relayed from
 * another service). Deliberately broad: a false alarm only costs a client some detail.
 */
const INTERNAL_DETAIL: readonly RegExp[] = [
  // Stack frames: "    at handler (/srv/app/x.ts:3:9)", "at async Promise.all (index 0)".
  /(?:^|\n)\s*at\s+(?:async\s+)?\S+\s+\(/,
  /(?:^|\n)\s*at\s+(?:file:\/\/|\/|[A-Za-z]:\\)/,
  // Absolute file paths and source positions.
  /(?:^|[\s(`'"=:])\/(?:[\w.@+-]+\/)+[\w.@+-]+/,
  /(?:^|[\s(`'"=])[A-Za-z]:\\[\w.@+ -]+\\/,
  /\bfile:\/\//,
  /\.(?:[cm]?[jt]sx?|node)(?::\d+){1,2}\b/,
  /\bnode_modules\b/,
  // SQL, as a statement (upper-case keywords, so English prose does not match).
  /\b(?:SELECT|UPDATE|DELETE|INSERT|WITH)\b[\s\S]*\b(?:FROM|INTO|SET|WHERE|VALUES|RETURNING)\b/,
  /\bSQLSTATE\b/i,
  // ORM and driver messages.
  /\bprisma\b/i,
  /\bDatabase error\b/i,
  /\binvalid byte sequence\b/i,
  /\bduplicate key value\b/i,
  /\bviolates (?:check|foreign key|unique|not-null|exclusion) constraint\b/i,
  /\bsyntax error at or near\b/i,
  /\b(?:relation|column|table) "[^"]*" (?:does not exist|of relation)\b/i,
  /\bER_[A-Z_]{3,}\b/,
  /\bE(?:CONNREFUSED|CONNRESET|TIMEDOUT|ADDRINUSE|NOTFOUND|PIPE|HOSTUNREACH|AI_AGAIN)\b/,
  /\b(?:Mongo|MongoServer|Redis|ReplyError|KafkaJS|Elasticsearch|OpenSearch|Postgres|Pg|MySQL|Sql)\w*Error\b/,
  /\b(?:TypeError|ReferenceError|RangeError|SyntaxError|AbortError): /,
];

export function revealsInternals(text: string): boolean {
  return INTERNAL_DETAIL.some((pattern) => pattern.test(text));
}
