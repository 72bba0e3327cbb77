// Autocomplete's cost on the search engine at a catalog's size, both ways it can be asked:
// the scored query over the product index (score, sort and collapse every match; what a
// deployment without a suggestion index answers with) and the tiers over the suggestion index
// (suggestion-tiers.ts: filters in stored order, stopping after the first hits). Each typed
// text is asked both ways in turn, one at a time, and the answers must be equal.
//
//   eval "$(scripts/services.sh env)"
//   npx tsx bench/autocomplete-engine.ts --products catalog_2m --suggestions catalog_2m_names [--build] [--rounds 5]
//
// --products and --suggestions name an alias or index on OPENSEARCH_URL holding the same
// catalog. --build first makes the suggestion index `<products>_names` from the product index
// (SearchEngineIndex.rebuildSuggestions, timed). Prints, per way, the client's wall time and the
// engine's own `took` summed over the reads of one keystroke, p50 and p99, and reads per keystroke.
import { parseArgs } from "node:util";
import { OpenSearchIndex } from "../subgraphs/search/src/adapters/open-search-index.js";
import { parseSuggestResponse, suggestBody } from "../subgraphs/search/src/adapters/suggest-dsl.js";
import { readSuggestionTiers } from "../subgraphs/search/src/adapters/suggestion-tiers.js";
import { typedText, type TypedText } from "../subgraphs/search/src/domain/suggestion-match.js";

const { values } = parseArgs({
  options: {
    products: { type: "string" },
    suggestions: { type: "string" },
    rounds: { type: "string", default: "5" },
    limit: { type: "string", default: "8" },
    build: { type: "boolean", default: false },
  },
});
const url = (process.env.OPENSEARCH_URL ?? "").replace(/\/$/, "");
if (!url || !values.products || !values.suggestions) {
  console.error('Usage: eval "$(scripts/services.sh env)"; npx tsx bench/autocomplete-engine.ts --products <alias> --suggestions <alias> [--rounds 5]');
  process.exit(2);
}
const limit = Number(values.limit);

if (values.build) {
  const index = await OpenSearchIndex.connect(url, { alias: values.products });
  const started = performance.now();
  let lastLog = 0;
  const { indexed } = await index.rebuildSuggestions({}, (done) => {
    if (performance.now() - lastLog > 30_000) {
      lastLog = performance.now();
      console.log(`  ${done.toLocaleString("en")} products read into the suggestion index, ${((performance.now() - started) / 1000).toFixed(0)} s`);
    }
  });
  await index.close();
  console.log(`suggestion index built from ${indexed.toLocaleString("en")} products in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

/** Typed as a shopper starts: one to three letters of common name words, then a word and a half. */
const TEXTS = [
  ..."abcdefghilmnoprstw".split(""),
  ...["he", "wi", "tr", "ca", "bo", "pr", "sm", "ch", "la", "co", "ba", "sp"],
  ...["hea", "wir", "tra", "cam", "boo", "pro", "sma", "cha", "lam", "cof", "bac", "spe"],
  ...["headphones", "camping t", "cast iron", "wireless head", "trail", "lamp"],
];

async function post(path: string, body: string, ndjson = false): Promise<unknown> {
  const response = await fetch(`${url}${path}`, { method: "POST", headers: { "content-type": ndjson ? "application/x-ndjson" : "application/json" }, body });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

interface Sample {
  wallMs: number;
  engineMs: number;
  reads: number;
}

async function scored(typed: TypedText): Promise<{ sample: Sample; answer: unknown }> {
  const started = performance.now();
  const body = (await post(`/${values.products}/_search`, JSON.stringify(suggestBody(typed, limit)))) as { took: number };
  return { sample: { wallMs: performance.now() - started, engineMs: body.took, reads: 1 }, answer: parseSuggestResponse(body) };
}

async function tiered(typed: TypedText): Promise<{ sample: Sample; answer: unknown }> {
  let engineMs = 0;
  let reads = 0;
  const started = performance.now();
  const answer = await readSuggestionTiers(typed, limit, async (bodies) => {
    reads += bodies.length;
    const ndjson = bodies.map((body) => `{}\n${JSON.stringify(body)}\n`).join("");
    const { took, responses } = (await post(`/${values.suggestions}/_msearch`, ndjson, true)) as { took: number; responses: unknown[] };
    engineMs += took;
    return responses;
  });
  if (!answer) throw new Error(`"${typed.phrase}" fell back to the scored query`);
  return { sample: { wallMs: performance.now() - started, engineMs, reads }, answer };
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};

const samples = { scored: [] as Sample[], tiered: [] as Sample[] };
for (let round = 0; round < Number(values.rounds); round++) {
  for (const text of TEXTS) {
    const typed = typedText(text);
    const old = await scored(typed);
    const tiers = await tiered(typed);
    if (JSON.stringify(old.answer) !== JSON.stringify(tiers.answer)) throw new Error(`"${text}" answered differently: ${JSON.stringify(old.answer)} against ${JSON.stringify(tiers.answer)}`);
    if (round > 0) {
      samples.scored.push(old.sample);
      samples.tiered.push(tiers.sample);
    }
  }
}

console.log(`${TEXTS.length} typed texts x ${Number(values.rounds) - 1} rounds (after one warm-up round), first ${limit}, answers equal both ways`);
console.log("way                               wall p50   wall p99   engine p50   engine p99   reads p50/max");
for (const [way, list] of Object.entries(samples)) {
  const wall = list.map((s) => s.wallMs);
  const engine = list.map((s) => s.engineMs);
  const reads = list.map((s) => s.reads);
  const label = way === "scored" ? `scored query on ${values.products}` : `tiers on ${values.suggestions}`;
  console.log(
    `${label.padEnd(34)}${percentile(wall, 50).toFixed(1).padStart(8)} ms${percentile(wall, 99).toFixed(1).padStart(8)} ms${String(percentile(engine, 50)).padStart(10)} ms${String(percentile(engine, 99)).padStart(10)} ms${String(percentile(reads, 50)).padStart(9)}/${Math.max(...reads)}`,
  );
}
