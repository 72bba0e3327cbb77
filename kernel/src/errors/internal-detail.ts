/**
 * Recognises text that describes the server rather than the request: stack frames, source
 * paths, SQL, and the messages of database drivers and ORMs. The error formatter withholds
 * such text from clients whatever the error's code, because a coded error can still carry a
 * message that came from a driver (a message built from a caught error, or relayed from
 * another service). Deliberately broad: a false alarm only costs a client some detail.
 *
 * Every pattern takes time linear in the text: error messages echo what clients send (a value
 * of the wrong type, quoted whole), and a pattern that backtracks over the rest of the text
 * from each of many starts made one 86 KB request of "SELECT " words take 3.2 s of the
 * gateway's CPU, and 90,000 line breaks 58 s. Line starts are followed by horizontal space only
 * (`[ \t]*`, never `\s*`, which ran from each line break over all the breaks after it), and a
 * statement is found by two scans, not one pattern spanning the text.
 */
const INTERNAL_DETAIL: readonly RegExp[] = [
  // Stack frames: "    at handler (/srv/app/x.ts:3:9)", "at async Promise.all (index 0)".
  /(?:^|\n)[ \t]*at[ \t]+(?:async[ \t]+)?\S+[ \t]+\(/,
  /(?:^|\n)[ \t]*at[ \t]+(?:file:\/\/|\/|[A-Za-z]:\\)/,
  // Absolute file paths and source positions.
  /(?:^|[\s(`'"=:])\/(?:[\w.@+-]+\/)+[\w.@+-]+/,
  /(?:^|[\s(`'"=])[A-Za-z]:\\[\w.@+ -]+\\/,
  /\bfile:\/\//,
  /\.(?:[cm]?[jt]sx?|node)(?::\d+){1,2}\b/,
  /\bnode_modules\b/,
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

// SQL, as a statement: a verb, then a clause anywhere after it (upper-case keywords, so English
// prose does not match). Any verb followed by a clause means the first verb is, so one scan for
// the first verb and one for a clause after it decide it.
const SQL_VERB = /\b(?:SELECT|UPDATE|DELETE|INSERT|WITH)\b/;
const SQL_CLAUSE = /\b(?:FROM|INTO|SET|WHERE|VALUES|RETURNING)\b/;

function namesSqlStatement(text: string): boolean {
  const verb = SQL_VERB.exec(text);
  if (!verb) return false;
  // From the end of the verb, where the old single pattern's \b before the clause could first hold.
  return SQL_CLAUSE.test(text.slice(verb.index + verb[0].length));
}

export function revealsInternals(text: string): boolean {
  return INTERNAL_DETAIL.some((pattern) => pattern.test(text)) || namesSqlStatement(text);
}
