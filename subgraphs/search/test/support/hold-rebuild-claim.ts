// A rebuilder that takes an index's rebuild claim on Redis and rebuilds for ever, until it is
// killed: what a reindex command or a replica killed mid-rebuild (kill -9) leaves behind.
// Usage: tsx hold-rebuild-claim.ts <REDIS_URL> <index name> <lease ms>
import { RedisKeyValueStore } from "#kernel/adapters.ts";
import { withRebuildClaim } from "../../src/domain/rebuild-claim.js";

const [redisUrl, indexName, leaseMs] = process.argv.slice(2);
const kv = new RedisKeyValueStore(redisUrl!);
await kv.connect();
await withRebuildClaim(kv, indexName!, () => new Promise<never>(() => process.stdout.write("claimed\n")), { leaseMs: Number(leaseMs) });
