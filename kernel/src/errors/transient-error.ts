import { ErrorCode } from "./error-codes.js";
import { DependencyFailed } from "./domain-error.js";
import { LockBusyError } from "../cache/lock-service.js";
import { DeadlineExceeded } from "../events/with-deadline.js";

/**
 * Socket errnos, and undici's names for a connection closed under a request (the other side
 * went away: a process killed mid-call, "other side closed") or that could not be made in time:
 * the same outage as ECONNRESET, in the words the HTTP client uses.
 */
const TRANSIENT_ERRNOS = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN", "UND_ERR_SOCKET", "UND_ERR_CLOSED", "UND_ERR_CONNECT_TIMEOUT"]);
/**
 * Prisma's "can't reach / timed out / closed / pool exhausted" codes, and the two it gives a
 * server's refusal of its own in place of the SQLSTATE: a write conflict or deadlock (P2034,
 * from 40001 and 40P01) and the server's connection slots all taken (P2037, from 53300).
 */
const TRANSIENT_PRISMA_CODES = new Set(["P1001", "P1002", "P1008", "P1017", "P2024", "P2034", "P2037"]);
/**
 * PostgreSQL: connection exceptions (class 08), shutdown or crash (57P01-57P03), serialization
 * failure, deadlock, and the pool's bounds (DATABASE_BOUNDS) as the server enforces them: a
 * statement cancelled at its timeout (57014), a transaction left idle ended (25P03); a lock
 * not had within a `lock_timeout` an operator set (55P03); and the server out of a resource
 * (class 53: disk full, out of memory, every connection slot taken). The statement wrote
 * nothing; the same step a moment later, on a less busy server, may pass. Read as a fault of
 * the event, a full disk or a lock held by a migration dead-lettered payment confirmations.
 */
const TRANSIENT_SQLSTATES = "08[0-9A-Z]{3}|57P0[123]|57014|25P03|40001|40P01|55P03|53[0-9A-Z]{3}";
const TRANSIENT_SQLSTATE = new RegExp(`^(${TRANSIENT_SQLSTATES})$`);
/** The same SQLSTATEs as the Prisma pg adapter words them ("Database error. Code: `57P01`"). */
const TRANSIENT_SQLSTATE_IN_MESSAGE = new RegExp(`Code: \`(${TRANSIENT_SQLSTATES})\``);
/**
 * ...and as pg words the client's bounds: no pooled connection in time, none opened in time, no
 * answer in time; and as Prisma words its own (P2028, "Unable to start a transaction in the given
 * time": no connection for the transaction within its maxWait, nothing of it run).
 */
const TRANSIENT_DATABASE_MESSAGE =
  /can't reach database server|connection error and is not queryable|connection terminated unexpectedly|timed out fetching a new connection|timeout exceeded when trying to connect|connection terminated due to connection timeout|^Query read timeout$|unable to start a transaction in the given time|server has closed the connection/i;
/**
 * A raw statement (P2010) that met a connection-level failure: Prisma words the kinds it codes
 * P1017 (closed) and P1008 (socket timeout) for its own queries into the raw query's message,
 * with no SQLSTATE ("Raw query failed. Code: `N/A`. Message: `Operation has timed out`").
 */
const TRANSIENT_RAW_QUERY_MESSAGE = /Raw query failed\. Code: `N\/A`\. Message: `Operation has timed out`/;
/**
 * MySQL and MariaDB, by the errno Prisma's adapter keeps: a lock waited for past
 * innodb_lock_wait_timeout (1205), a full disk or table (1021, 1114), a server shutting down
 * (1053) or ending the connection (1927); and the MariaDB connector's own words for an outage:
 * a socket closed under a statement (45009), no connection made in time (45012), a command on a
 * closed connection (45013), no answer in time (45026), no pooled connection in time (45028, a
 * refused or silent server). Their deadlocks and a server out of connections come as P2034 and
 * P2037.
 */
const TRANSIENT_MYSQL_ERRNOS = new Set(["1205", "1021", "1114", "1053", "1927", "45009", "45012", "45013", "45026", "45028"]);
/** The search engine clients (Elasticsearch, OpenSearch): no connection, no answer in time, no node left. */
const TRANSIENT_SEARCH_CLIENT_ERRORS = new Set(["ConnectionError", "TimeoutError", "NoLivingConnectionsError"]);
/** A search cluster answering that it is overloaded or recovering (shards not yet assigned after a restart). */
const TRANSIENT_SEARCH_STATUS = new Set([429, 502, 503, 504]);
/**
 * The MongoDB driver (MongoDB, FerretDB): a connection closed or reset under an operation, no
 * server selectable in time (down, restarting, unreachable), a pool cleared after such an error
 * or with no connection free in time, an operation past its time limit.
 */
const TRANSIENT_MONGO_ERRORS = new Set([
  "MongoNetworkError",
  "MongoNetworkTimeoutError",
  "MongoServerSelectionError",
  "MongoPoolClearedError",
  "MongoWaitQueueTimeoutError",
  "MongoOperationTimeoutError",
]);
/**
 * A MongoDB server that is shutting down, stepping down or cannot reach its peers, by the codes
 * the driver itself retries reads on (HostUnreachable, HostNotFound, NetworkTimeout,
 * ShutdownInProgress, PrimarySteppedDown, ExceededTimeLimit, SocketException, NotWritablePrimary,
 * InterruptedAtShutdown, InterruptedDueToReplStateChange, NotPrimaryNoSecondaryOk,
 * NotPrimaryOrSecondary).
 */
const TRANSIENT_MONGO_SERVER_CODES = new Set([6, 7, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436]);
/** ioredis without an offline queue says "not connected" and "no answer in time" in words only. */
const TRANSIENT_REDIS_MESSAGE = /^(Stream isn't writeable and enableOfflineQueue options is false|Connection is closed\.|Command timed out)$/;

/**
 * Whether a handler failed because something it needs is unreachable for now (a database,
 * the search cluster, MongoDB or Redis restarting, a connection reset, a service answering
 * SERVICE_UNAVAILABLE), not because of the event. Such a failure says nothing about the event,
 * so it must not count toward moving the event to a dead-letter topic: a 1.3-second PostgreSQL
 * restart once dead-lettered payment confirmations (five in-place retries in 350 ms), leaving
 * paid orders PENDING. Clients are told SERVICE_UNAVAILABLE for it (see format-error.ts).
 */
export function isTransientInfrastructureError(error: unknown): boolean {
  for (let cause: unknown = error, depth = 0; cause && depth < 8; cause = (cause as { cause?: unknown }).cause, depth++) {
    // A callee's unexpected error says SERVICE_UNAVAILABLE to clients, but waiting will not mend it.
    if (cause instanceof DependencyFailed) return false;
    // Another holder's lock: it ends within its TTL. A burst of stock events over one listing
    // on a busy machine (a fresh start seeding the catalog) once dead-lettered 78 of them.
    if (cause instanceof LockBusyError) return true;
    // An engine call past its deadline (a publish while the broker is down or its connection
    // silent): read as a fault of the event, it dead-lettered events whose handler publishes,
    // and a client was told INTERNAL_SERVER_ERROR for a sign-out that only needs a retry.
    if (cause instanceof DeadlineExceeded) return true;
    const { code, message, extensions, name, meta } = cause as { code?: unknown; message?: unknown; extensions?: { code?: unknown }; name?: unknown; meta?: { statusCode?: unknown } };
    // A coded GraphQL error (ours, or a callee's rethrown) is transient only when it says so.
    if (extensions?.code !== undefined) return extensions.code === ErrorCode.SERVICE_UNAVAILABLE;
    if (typeof code === "string" && (TRANSIENT_ERRNOS.has(code) || TRANSIENT_PRISMA_CODES.has(code) || TRANSIENT_SQLSTATE.test(code))) return true;
    // Prisma keeps the server's own code beside its own, whatever its message says.
    const server = (meta as { driverAdapterError?: { cause?: { originalCode?: unknown; kind?: unknown } } } | undefined)?.driverAdapterError?.cause;
    if (typeof server?.originalCode === "string") {
      if (server.kind === "mysql" ? TRANSIENT_MYSQL_ERRNOS.has(server.originalCode) : TRANSIENT_SQLSTATE.test(server.originalCode)) return true;
    }
    if (typeof message === "string" && (TRANSIENT_SQLSTATE_IN_MESSAGE.test(message) || TRANSIENT_DATABASE_MESSAGE.test(message) || TRANSIENT_RAW_QUERY_MESSAGE.test(message) || TRANSIENT_REDIS_MESSAGE.test(message))) return true;
    if (name === "MaxRetriesPerRequestError") return true;
    // kafkajs marks what a later try may pass (no connection, a request timed out, a leader or
    // coordinator moving); its retries used up wrap the last such error, read as the cause.
    if (typeof name === "string" && name.startsWith("KafkaJS") && (cause as { retriable?: unknown }).retriable === true) return true;
    if (typeof name === "string" && TRANSIENT_MONGO_ERRORS.has(name)) return true;
    if (name === "MongoServerError" && typeof code === "number" && TRANSIENT_MONGO_SERVER_CODES.has(code)) return true;
    // Of the errors carrying `meta` (Prisma's too), only the search clients' bear these names; a
    // bare TimeoutError (an AbortSignal's) is a callee that did not answer, which a poison event
    // can cause every time.
    if (meta !== undefined && typeof name === "string") {
      if (TRANSIENT_SEARCH_CLIENT_ERRORS.has(name)) return true;
      if (name === "ResponseError" && TRANSIENT_SEARCH_STATUS.has(meta?.statusCode as number)) return true;
    }
  }
  return false;
}
