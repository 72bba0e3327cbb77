import { subscribe } from "node:diagnostics_channel";
import { createRequire } from "node:module";
import { Redis } from "ioredis";
import { Collection } from "mongodb";
import pg from "pg";
import type { DomainEvent, EventBus, SubscribeOptions, Subscription } from "../../kernel/src/events/event-bus.js";

/**
 * What one process sends to every other process while it works, counted by kind: HTTP
 * requests by destination, SQL statements by text, Redis commands by name, document-store
 * operations by collection, events by topic.
 * Read per checkout, these say where a checkout's work goes whatever the machine's load
 * (CPU per process says what each costs). Counters only ever grow; take a snapshot before
 * and after.
 */
export interface TrafficSnapshot {
  http: Map<string, number>;
  sql: Map<string, number>;
  redis: Map<string, number>;
  /** MongoDB/FerretDB operations by collection and method (a cursor counts once, when made; findOne once). */
  mongo: Map<string, number>;
  events: Map<string, number>;
  /** publish calls (each one producer round trip, whatever the number of events). */
  publishes: Map<string, number>;
  /** Requests kafkajs sends to the brokers, by API (Fetch, OffsetCommit, Produce, Heartbeat, ...). */
  kafka: Map<string, number>;
}

const traffic: TrafficSnapshot = { http: new Map(), sql: new Map(), redis: new Map(), mongo: new Map(), events: new Map(), publishes: new Map(), kafka: new Map() };
/** The Collection methods that send a command (or open a cursor that does). */
const MONGO_OPERATIONS = [
  "insertOne", "insertMany", "bulkWrite", "updateOne", "updateMany", "replaceOne", "deleteOne", "deleteMany",
  "find", "findOne", "findOneAndUpdate", "findOneAndReplace", "findOneAndDelete", "aggregate", "countDocuments", "distinct",
] as const;
const bump = (counts: Map<string, number>, key: string, by = 1) => counts.set(key, (counts.get(key) ?? 0) + by);
const UNCOUNTED = Symbol.for("bench.traffic.uncounted");
let installed = false;
/** Names of the run's servers by port, for HTTP requests to read by destination. */
const portNames = new Map<string, string>();

/** Names the servers of the run (name -> URL), once they are listening. */
export function nameServers(urls: Record<string, string>): void {
  for (const [name, url] of Object.entries(urls)) portNames.set(new URL(url).port, name);
}

/** A GraphQL request's first root field (`_entities`, `reserveStock`), from its body when it is text. */
function operationOf(body: unknown): string {
  const text = typeof body === "string" ? body : Buffer.isBuffer(body) ? body.subarray(0, 2000).toString() : "";
  const query = /"query"\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(text)?.[1];
  if (!query) return "";
  const field = /\{\s*(?:\w+\s*:\s*)?(\w+)/.exec(query.replace(/\\n/g, " "))?.[1];
  return field ? `{${field}}` : "";
}

/** A statement's text reduced to what names it: its first words, literals and spacing folded. */
export function statementName(text: string): string {
  const folded = text.replace(/\s+/g, " ").replace(/\$\d+/g, "$").replace(/'[^']*'/g, "'…'").trim();
  const call = /\b(?:SELECT|CALL)\s+(?:\*\s+FROM\s+)?"?([a-z_]+)"?\s*\(/i.exec(folded);
  if (call && !/^(count|coalesce|max|min|sum|now|jsonb_build_object|json_build_object|array_agg|unnest|exists)$/i.test(call[1]!)) return `fn ${call[1]}()`;
  return folded.slice(0, 90);
}

/**
 * Installs the counters once in this process: pg's `Client.query` (Prisma's driver adapter
 * included), ioredis's `sendCommand` (a pipeline's commands one by one), undici's request
 * channel (fetch and our subgraph pool). Clients marked by `uncountedClient` are left out.
 */
export function countTraffic(): { snapshot(): TrafficSnapshot; uncountedClient<T extends object>(client: T): T; countingBus(bus: EventBus): EventBus } {
  if (!installed) {
    installed = true;
    const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
    pg.Client.prototype.query = function (this: pg.Client & { [UNCOUNTED]?: true }, ...args: unknown[]) {
      if (!this[UNCOUNTED]) {
        const first = args[0];
        const text = typeof first === "string" ? first : (first as { text?: unknown } | null)?.text;
        if (typeof text === "string") bump(traffic.sql, statementName(text));
      }
      return query.apply(this, args);
    } as typeof pg.Client.prototype.query;
    const sendCommand = Redis.prototype.sendCommand;
    Redis.prototype.sendCommand = function (this: Redis, command: Parameters<Redis["sendCommand"]>[0], ...rest: unknown[]) {
      bump(traffic.redis, String((command as { name?: string }).name ?? "?").toUpperCase());
      return (sendCommand as (...a: unknown[]) => unknown).call(this, command, ...rest);
    } as typeof sendCommand;
    const prototype = Collection.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
    // findOne opens its cursor with find, insertMany hands over to bulkWrite, both before their
    // first await: a call made while another is being entered is part of that one.
    let entering = false;
    for (const method of MONGO_OPERATIONS) {
      const original = prototype[method]!;
      prototype[method] = function (this: Collection, ...args: unknown[]) {
        if (entering) return original.apply(this, args);
        bump(traffic.mongo, `${this.collectionName}.${method}`);
        entering = true;
        try {
          return original.apply(this, args);
        } finally {
          entering = false;
        }
      };
    }
    // Every request of every kafkajs client (producers, consumers, admin) goes through one send.
    const Connection = createRequire(import.meta.url)("kafkajs/src/network/connection.js") as { prototype: Record<string, (...a: unknown[]) => unknown> };
    const send = Connection.prototype.send!;
    Connection.prototype.send = function (this: unknown, ...args: unknown[]) {
      bump(traffic.kafka, String((args[0] as { request?: { apiName?: string } }).request?.apiName ?? "?"));
      return send.apply(this, args);
    };
    subscribe("undici:request:create", (message) => {
      const { request } = message as { request: { origin?: string | URL; path?: string; method?: string; body?: unknown } };
      const port = /:(\d+)$/.exec(String(request.origin ?? ""))?.[1] ?? "?";
      const name = portNames.get(port) ?? `port ${port}`;
      bump(traffic.http, `${request.method ?? "?"} ${name}${(request.path ?? "").split("?")[0]} ${operationOf(request.body)}`.trim());
    });
  }
  return {
    snapshot: () => ({
      http: new Map(traffic.http),
      sql: new Map(traffic.sql),
      redis: new Map(traffic.redis),
      mongo: new Map(traffic.mongo),
      events: new Map(traffic.events),
      publishes: new Map(traffic.publishes),
      kafka: new Map(traffic.kafka),
    }),
    uncountedClient: (client) => Object.assign(client, { [UNCOUNTED]: true as const }),
    countingBus: (bus) => new CountingEventBus(bus),
  };
}

class CountingEventBus implements EventBus {
  readonly engine: string;
  constructor(private readonly inner: EventBus) {
    this.engine = inner.engine;
  }
  publish(topic: string, events: DomainEvent[]): Promise<void> {
    bump(traffic.publishes, topic);
    bump(traffic.events, topic, events.length);
    return this.inner.publish(topic, events);
  }
  subscribe(options: SubscribeOptions): Promise<Subscription> {
    return this.inner.subscribe(options);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Lines of "count per unit  name", largest first, for what changed between two snapshots. */
export function formatTraffic(before: TrafficSnapshot, after: TrafficSnapshot, units: number, unitName: string): string[] {
  const lines: string[] = [];
  const section = (title: string, key: keyof TrafficSnapshot, top = 40) => {
    const delta = [...after[key]].map(([name, n]) => [name, n - (before[key].get(name) ?? 0)] as const).filter(([, n]) => n > 0);
    delta.sort((a, b) => b[1] - a[1]);
    const total = delta.reduce((sum, [, n]) => sum + n, 0);
    lines.push(`${title}: ${(total / units).toFixed(2)} per ${unitName}`);
    for (const [name, n] of delta.slice(0, top)) lines.push(`  ${(n / units).toFixed(2).padStart(7)}  ${name}`);
  };
  section("HTTP requests", "http");
  section("SQL statements", "sql");
  section("Redis commands", "redis");
  section("MongoDB/FerretDB operations", "mongo");
  section("events published", "events");
  section("publish calls", "publishes");
  section("Kafka requests", "kafka");
  return lines;
}
