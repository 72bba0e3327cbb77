// Trending views on the real engines (Kafka + Redis), in this process: how many views per
// second go from recordProductView's service (repeat window SET NX PX, ProductViewed published
// to Kafka) through the trending consumer group (two members) into the Redis bucket sets, and
// how long a view takes to reach the ranking. Then how fast a ranking is read.
//
//   nice -n 10 npx tsx bench/trending.ts [--views 20000] [--rate 300] [--seconds 15] [--products 1000] [--concurrency 256]
//
// Phases:
// 1. burst: `--views` views of `--products` products by distinct viewers, `--concurrency` (256)
//    at once, as many shoppers' requests would arrive; figure =
//    views / (time from the first view until the ranking's total holds every one of them);
// 2. paced: `--rate` views per second for `--seconds`; lag of each view = from its time stamp
//    (taken as record runs) until a counter member has written it (the ranking reads it then);
// 3. reads: the LAST_HOUR and LAST_DAY rankings (whole shop and one category) read 500 times.
// The product lookup is an in-memory map, standing in for a hot-cache hit (the steady state).
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { createLogger, loadConfig, type DomainEvent } from "#kernel";
import { KafkaEventBus, RedisKeyValueStore } from "#kernel/adapters.ts";
import { NamespacedEventBus } from "#kernel/testing";
import { createProductViewService } from "../subgraphs/products/src/trending/product-view.service.js";
import { startTrendingCounter } from "../subgraphs/products/src/trending/trending-counter.js";
import { createTrendingRanking } from "../subgraphs/products/src/trending/trending-ranking.js";
import { rankingKeys } from "../subgraphs/products/src/trending/trending-window.js";
import { CategoryTree } from "../subgraphs/products/src/categories/category.js";
import { DEMO_CATEGORY_TREE } from "../subgraphs/products/src/categories/demo-category-tree.js";
import type { Product } from "../subgraphs/products/src/domain/product.js";

const { values: args } = parseArgs({
  options: {
    views: { type: "string", default: "20000" },
    rate: { type: "string", default: "300" },
    seconds: { type: "string", default: "15" },
    products: { type: "string", default: "1000" },
    concurrency: { type: "string", default: "256" },
  },
});
const VIEWS = Number(args.views);
const RATE = Number(args.rate);
const SECONDS = Number(args.seconds);
const PRODUCTS = Number(args.products);
const CONCURRENCY = Number(args.concurrency);

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
const summary = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { p50: +percentile(sorted, 50).toFixed(1), p99: +percentile(sorted, 99).toFixed(1), max: +(sorted.at(-1) ?? 0).toFixed(1), n: sorted.length };
};

const config = loadConfig();
if (!config.events.kafkaBrokers || !config.cache.redisUrl) throw new Error("Set KAFKA_BROKERS and REDIS_URL (eval \"$(scripts/services.sh env)\")");
const run = randomUUID().slice(0, 8);
const keyPrefix = `trending-bench-${run}`;
const kafka = new KafkaEventBus({ brokers: config.events.kafkaBrokers, clientId: "trending-bench", logger: createLogger("warn") });
const bus = new NamespacedEventBus(kafka, `bench-${run}`);
const kv = new RedisKeyValueStore(config.cache.redisUrl);
await kv.connect();

const categories = DEMO_CATEGORY_TREE.filter((c) => c.parent !== null).map((c) => c.slug);
const catalog = new Map<string, Product>(
  Array.from({ length: PRODUCTS }, (_, i) => {
    const id = `prod_bench_${String(i).padStart(6, "0")}`;
    return [id, { id, category: categories[i % categories.length]! } as Product];
  }),
);
const ids = [...catalog.keys()];
const views = createProductViewService({ kv, bus, keyPrefix, findByIds: async (wanted) => new Map(wanted.flatMap((id) => (catalog.has(id) ? [[id, catalog.get(id)!] as const] : []))) });

const lags: number[] = [];
let handled = 0;
let measuring = false;
// The view's own stamp (taken as record runs) to the moment it is written: the ranking reads it from then on.
const onHandled = (event: DomainEvent) => {
  handled += 1;
  if (measuring) lags.push(Date.now() - Date.parse((event.payload as { viewedAt: string }).viewedAt));
};
// Two members of one group on a 3-partition topic, as two products processes would run.
const members = [await startTrendingCounter({ bus, kv, keyPrefix, onHandled }), await startTrendingCounter({ bus, kv, keyPrefix, onHandled })];
const ranking = createTrendingRanking({ kv, keyPrefix, categories: { find: async (slug) => ({ category: new CategoryTree(DEMO_CATEGORY_TREE).get(slug)!, tree: new CategoryTree(DEMO_CATEGORY_TREE) }) } });
const total = async () => (await kv.topScores(rankingKeys("LAST_HOUR", undefined, Date.now(), keyPrefix), 1_000_000)).reduce((sum, { score }) => sum + score, 0);

try {
  // Warm-up: topic created, partitions assigned, producer connected.
  await views.record(ids[0]!, { clientAddress: "warm-up" });
  while ((await total()) < 1) await new Promise((resolve) => setTimeout(resolve, 20));

  // 1. burst
  const burstStarted = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let i = next++; i < VIEWS; i = next++) await views.record(ids[i % ids.length]!, { clientAddress: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}` });
    }),
  );
  const recordedMs = performance.now() - burstStarted;
  const deadline = Date.now() + 120_000;
  while ((await total()) < VIEWS + 1) {
    if (Date.now() > deadline) throw new Error(`only ${await total()} of ${VIEWS + 1} views counted after 120 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const burstMs = performance.now() - burstStarted;
  const counted = await total();

  // 2. paced
  const handledBefore = handled;
  measuring = true;
  const paced = RATE * SECONDS;
  const pacedStarted = performance.now();
  const inFlight: Promise<unknown>[] = [];
  for (let i = 0; i < paced; i++) {
    const due = pacedStarted + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    inFlight.push(views.record(ids[i % ids.length]!, { clientAddress: `paced-${i}` }).catch(() => undefined));
  }
  await Promise.all(inFlight);
  const pacedDeadline = Date.now() + 60_000;
  while (handled - handledBefore < paced && Date.now() < pacedDeadline) await new Promise((resolve) => setTimeout(resolve, 20));

  // 3. reads
  const reads: Record<string, number[]> = { "LAST_HOUR all": [], "LAST_DAY all": [], "LAST_HOUR fashion-beauty": [] };
  for (let i = 0; i < 500; i++) {
    for (const [name, [window, slug]] of [
      ["LAST_HOUR all", ["LAST_HOUR", null]],
      ["LAST_DAY all", ["LAST_DAY", null]],
      ["LAST_HOUR fashion-beauty", ["LAST_HOUR", "fashion-beauty"]],
    ] as const) {
      const started = performance.now();
      await ranking.top(window, slug, 10);
      reads[name]!.push(performance.now() - started);
    }
  }

  const result = {
    burst: { views: VIEWS, products: PRODUCTS, counted: counted - 1, recordedPerSecond: Math.round(VIEWS / (recordedMs / 1000)), endToEndPerSecond: Math.round(VIEWS / (burstMs / 1000)), seconds: +(burstMs / 1000).toFixed(2) },
    paced: { rate: RATE, seconds: SECONDS, handled: handled - handledBefore, lagMs: summary(lags) },
    readsMs: Object.fromEntries(Object.entries(reads).map(([name, values]) => [name, summary(values)])),
  };
  console.log(JSON.stringify(result, null, 2));
} finally {
  for (const member of members) await member.stop();
  await kafka.close();
  // The bench's keys go with it.
  const stream = kv.client.scanStream({ match: `${keyPrefix}:*`, count: 1000 });
  for await (const keys of stream as AsyncIterable<string[]>) if (keys.length > 0) await kv.client.unlink(...keys);
  await kv.close();
}
