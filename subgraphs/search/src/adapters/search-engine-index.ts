import { setTimeout as delay } from "node:timers/promises";
import type { Logger } from "#kernel";
import type { FacetValues, IndexChange, ProductSuggestion, RebuildOptions, SearchDocument, SearchHits, SearchIndex, SearchRequest, StorageOrder } from "../ports/search-index.js";
import type { TypedText } from "../domain/suggestion-match.js";
import { ADDED_FIELDS, bulkBody, bulkFailures, indexDefinition, indexMeta, MAPPING_VERSION, countsBody, hitsBody, parseSearchResponse, REFRESH_INTERVAL, suggestionIndexDefinition, WORD_RECENCY_SINCE } from "./search-dsl.js";
import { refuseTimedOut, SEARCH_CLIENT_WAIT_MS } from "./search-time-limit.js";
import { readSuggestionTiers } from "./suggestion-tiers.js";
import { ownAlias, REQUIRE_ALIAS, withOwnAlias } from "./own-index-alias.js";
import { bulkItemOf, describeBulkItem, memberCreateLines, memberUpdateLines, moveOfCreate, moveOfUpdate, nameUpdates, recomputeName, SUGGESTION_FORMAT, unsureNames, type BulkItem, type NameMove } from "./suggestion-names.js";
import { facetValuesBody, parseFacetValuesResponse, parseSuggestResponse, suggestBody } from "./suggest-dsl.js";
import { DOCUMENT_FORMAT, UNRECORDED_DOCUMENT_FORMAT } from "../domain/document-format.js";

export interface EngineRequest {
  method: "GET" | "PUT" | "POST" | "DELETE";
  path: string;
  body?: unknown;
  /** A bulk request's NDJSON lines. */
  ndjson?: string;
  querystring?: Record<string, string>;
  /**
   * A search's wait (SEARCH_CLIENT_WAIT_MS): the transport gives up after it and does not
   * retry. Without it, the client's own (30 s, retried twice) applies.
   */
  timeoutMs?: number;
}

/**
 * One REST call to the engine. Resolves with the status and parsed body for 2xx and for 404
 * (missing index or alias, which callers handle); rejects for anything else.
 */
export type EngineTransport = (request: EngineRequest) => Promise<{ status: number; body: unknown }>;

export interface SearchEngineIndexOptions {
  /** The alias searches read and live changes write; concrete indexes are `<alias>_<suffix>`. */
  alias: string;
  logger?: Logger;
  /** How long an indexer trusts its view of the write targets; a rebuild waits it out. */
  writeTargetTtlMs?: number;
  /** How long a replaced index stays, so searches already running on it can finish. */
  retireDelayMs?: number;
  /** How long autocomplete matches brands and categories from one read of them. */
  facetValuesTtlMs?: number;
}

/** The suggestion index's alias beside a product alias (its concrete indexes: the product index's name and this suffix). */
const SUGGESTIONS = "_names";

/**
 * The alias of the suggestion indexes made before SUGGESTION_FORMAT 2 (one document per
 * product): neither read nor written any more, and deleted once a suggestion index of the
 * current format replaces them.
 */
const FORMER_SUGGESTIONS = "_suggestions";

/**
 * Names a rebuild holds before writing them: each name's document is written once per this
 * many names instead of once per product (a name sold as 550 products was rewritten 550 times,
 * its analysed fields each time). Bounded, so a catalog of as many names as products does not
 * hold them all in memory.
 */
const REBUILD_NAMES_HELD = 100_000;

const NAME_UPDATES_PER_REQUEST = 1_000;

/**
 * The best product offered to each name by a rebuild's batches so far. Keeping only the best is
 * what the name documents' keep-the-better offer would do with all of them; live changes meanwhile
 * write their own offers and departures, which commute with these (suggestion-names.ts).
 */
class RebuildNames {
  private best = new Map<string, NameMove>();

  get size(): number {
    return this.best.size;
  }

  offer(move: NameMove): void {
    const key = `${move.index}\u0000${move.joined}`;
    const held = this.best.get(key);
    if (!held || move.popularity > held.popularity || (move.popularity === held.popularity && move.productId < held.productId)) this.best.set(key, move);
  }

  take(): NameMove[] {
    const moves = [...this.best.values()];
    this.best = new Map();
    return moves;
  }
}

/** How soon a failed read of the brands and categories autocomplete suggests is tried again. */
export const FACET_VALUES_RETRY_MS = 5_000;

/**
 * The `SearchIndex` on an Elasticsearch-compatible REST API, built on `search-dsl.ts`.
 *
 * Zero-downtime rebuild: a new index is created under a second alias, `<alias>_building`;
 * every indexer writes live changes to both aliases (it re-reads the targets every
 * `writeTargetTtlMs`, and the rebuild waits that long before it scans the catalog, so no
 * change made after the scan started can miss the new index). External versions make the
 * scan and the live changes commute. Then one atomic alias update moves the read alias.
 *
 * Each product index has a suggestion index beside it (`<index>_suggestions`, read through
 * `<alias>_suggestions`), written by the same bulk requests and moved by the same alias
 * updates: autocomplete reads it in its own sorted order (suggestion-tiers.ts).
 */
export class SearchEngineIndex implements SearchIndex {
  private readonly building: string;
  private readonly suggestions: string;
  private readonly buildingSuggestions: string;
  private readonly formerSuggestions: string;
  private readonly writeTargetTtlMs: number;
  private readonly retireDelayMs: number;
  private targets?: { names: string[]; suggestions: string[]; until: number };
  private readonly retiring = new Set<Promise<void>>();
  private facetValuesRead?: { values: Promise<FacetValues>; until: number };
  /** The brands and categories of the last read that succeeded: what keystrokes are answered from. */
  private facetValuesKept?: FacetValues;
  /** The index was made by an older mapping or holds documents of an older format: rebuilt at start. */
  private madeByOlderVersion = false;
  /**
   * Whether every document behind the alias holds its recency under its words (mapping 7): known
   * once ensureIndex has read the mapping or made the index, and after a rebuild. Until then a
   * relevance page reads the product-wide recency, which scores the same, only at more cost.
   */
  private wordRecencyHeld = false;
  /**
   * Whether the alias has its suggestion index (known once ensureIndex has looked, and after a
   * rebuild). Without one (an index made before suggestion indexes) autocomplete asks the
   * product index, at more cost, until the rebuild that ensureIndex asks for makes one.
   */
  private suggestionsHeld = false;
  /** Concrete indexes known to carry their own alias (own-index-alias.ts). */
  private readonly ownAliased = new Set<string>();

  constructor(
    readonly engine: string,
    private readonly transport: EngineTransport,
    private readonly options: SearchEngineIndexOptions,
  ) {
    this.building = `${options.alias}_building`;
    this.suggestions = `${options.alias}${SUGGESTIONS}`;
    this.buildingSuggestions = `${this.building}${SUGGESTIONS}`;
    this.formerSuggestions = `${options.alias}${FORMER_SUGGESTIONS}`;
    this.writeTargetTtlMs = options.writeTargetTtlMs ?? 1_000;
    this.retireDelayMs = options.retireDelayMs ?? 5_000;
  }

  async ensureIndex(): Promise<void> {
    if ((await this.aliasIndexes(this.options.alias)).length > 0) return this.upgradeMapping();
    // The suggestion index first: a product index found at start then always has one, unless
    // it was made before suggestion indexes were (upgradeMapping).
    const initial = `${this.options.alias}_initial`;
    await this.createOnce(`${initial}${SUGGESTIONS}`, withOwnAlias(`${initial}${SUGGESTIONS}`, { ...suggestionIndexDefinition(), aliases: { [this.suggestions]: {} } }));
    const created = await this.createOnce(initial, withOwnAlias(initial, { ...indexDefinition(), aliases: { [this.options.alias]: {} } }));
    if (created) this.options.logger?.info("search index created", { alias: this.options.alias });
    // Made now by this version, or just now by another process of it.
    this.wordRecencyHeld = true;
    this.suggestionsHeld = true;
  }

  /** Creates an index; false when another process created it first (just as good). */
  private async createOnce(name: string, body: unknown): Promise<boolean> {
    return this.transport({ method: "PUT", path: `/${name}`, body }).then(
      () => true,
      (error: unknown) => {
        if (String(error).includes("resource_already_exists_exception")) return false;
        throw error;
      },
    );
  }

  async apply(changes: readonly IndexChange[]): Promise<void> {
    if (changes.length === 0) return;
    const targets = await this.writeTargets();
    const productLines = bulkBody(changes, targets.names);
    const memberLines = targets.suggestions.flatMap((target) => changes.flatMap((change) => memberUpdateLines(change, target)));
    // require_alias: a write to an alias that is gone must fail, not auto-create an index.
    const { body } = await this.transport({ method: "POST", path: "/_bulk", ndjson: productLines + (memberLines.length ? memberLines.join("\n") + "\n" : ""), querystring: { require_alias: "true" } });
    const items = (body as { items?: Record<string, BulkItem>[] }).items ?? [];
    const productItems = changes.length * targets.names.length;
    const failures = bulkFailures({ errors: true, items: items.slice(0, productItems) }, [this.building, this.buildingSuggestions]);
    const moves: NameMove[] = [];
    for (const [i, entry] of items.slice(productItems).entries()) {
      const item = bulkItemOf(entry);
      const change = changes[i % changes.length]!;
      const move = item && moveOfUpdate(item, change);
      if (move) moves.push(move);
      else if (item && item.status >= 300 && !(item.error?.type === "index_not_found_exception" && item.error.reason?.includes(this.buildingSuggestions))) {
        failures.push(describeBulkItem(item));
      }
    }
    if (failures.length) throw new Error(`Indexing failed for ${failures.length} change(s): ${failures.slice(0, 3).join("; ")}`);
    await this.writeNames(moves);
  }

  /**
   * Step 2 of suggestion-names.ts: the names the products joined and left, in the concrete
   * indexes step 1 wrote (an alias may have moved in between: a rebuild that just finished),
   * then the names whose best left read again.
   */
  private async writeNames(moves: readonly NameMove[], signal?: AbortSignal): Promise<void> {
    await this.giveOwnAliases(new Set(moves.map((move) => move.index)));
    const { lines, names } = nameUpdates(moves);
    // A rebuild's names in requests of a bounded size (each line carries its script).
    for (let start = 0; start < names.length; start += NAME_UPDATES_PER_REQUEST) {
      signal?.throwIfAborted();
      const ndjson = lines.slice(start * 2, (start + NAME_UPDATES_PER_REQUEST) * 2).join("\n") + "\n";
      const { body } = await this.transport({ method: "POST", path: "/_bulk", ndjson, querystring: REQUIRE_ALIAS });
      for (const { index, name } of unsureNames(body, names.slice(start, start + NAME_UPDATES_PER_REQUEST))) await recomputeName(this.transport, index, name);
    }
  }

  /**
   * Gives the indexes their own alias (own-index-alias.ts) when this process has not seen them
   * with one: those made before indexes were created with it, or by a process of that version
   * still running. Adding an alias to an index that is gone fails and creates nothing; the
   * index is then left out (its writes fail, as a retired index's should).
   */
  private async giveOwnAliases(indexes: ReadonlySet<string>): Promise<void> {
    const unseen = [...indexes].filter((index) => !this.ownAliased.has(index));
    if (unseen.length === 0) return;
    const { status } = await this.transport({ method: "POST", path: "/_aliases", body: { actions: unseen.map((index) => ({ add: { index, alias: ownAlias(index) } })) } });
    if (status < 300) for (const index of unseen) this.ownAliased.add(index);
    else if (unseen.length > 1) for (const index of unseen) await this.giveOwnAliases(new Set([index]));
  }

  /**
   * The page and the counts as one multi-search, which the engine runs side by side on its
   * cores; the counts score nothing, where counting beside the page scored every match.
   */
  async search(request: SearchRequest): Promise<SearchHits> {
    const counts = countsBody(request);
    const page = hitsBody(request, { recencyByWord: this.wordRecencyHeld });
    const [answered, counted] = counts ? await this.searchAll([page, counts]) : [await this.searchOne(page), undefined];
    // An empty page past the last one, uncounted: whether anything matched at all.
    const pastTheEnd = !counted && request.after !== undefined && (answered as { hits: { hits: unknown[] } }).hits.hits.length === 0;
    return parseSearchResponse(request, answered, pastTheEnd ? await this.searchOne(countsBody(request, { whetherAny: true })) : counted);
  }

  private async searchOne(body: unknown, alias = this.options.alias, timeoutMs = SEARCH_CLIENT_WAIT_MS): Promise<unknown> {
    return (await this.transport({ method: "POST", path: `/${alias}/_search`, body, timeoutMs })).body;
  }

  /** Several searches in one request; fails as a single search would when any of them fails. */
  private async searchAll(bodies: unknown[], alias = this.options.alias, timeoutMs = SEARCH_CLIENT_WAIT_MS): Promise<unknown[]> {
    const ndjson = bodies.map((body) => `{}\n${JSON.stringify(body)}\n`).join("");
    const { body } = await this.transport({ method: "POST", path: `/${alias}/_msearch`, ndjson, timeoutMs });
    const responses = (body as { responses?: { status?: number; error?: { type?: string; reason?: string } | string }[] }).responses ?? [];
    if (responses.length !== bodies.length) throw new Error(`multi-search answered ${responses.length} of ${bodies.length} searches`);
    for (const response of responses) {
      if (response.error) {
        const error = typeof response.error === "string" ? { reason: response.error } : response.error;
        throw new Error(`search failed (${response.status ?? "?"}): ${error.type ?? ""} ${error.reason ?? ""}`.trim());
      }
    }
    return responses;
  }

  /**
   * From the suggestion index, tier by tier in its stored order; the scored query (on the
   * product index while there is no suggestion index) when the typed text has too many tiers.
   * Every read of one keystroke shares one wait, however many it takes.
   */
  async suggestProducts(typed: TypedText, limit: number): Promise<ProductSuggestion[]> {
    if (typed.words.length === 0) return [];
    if (!this.suggestionsHeld) return parseSuggestResponse(await this.searchOne(suggestBody(typed, limit)));
    const giveUpAt = Date.now() + SEARCH_CLIENT_WAIT_MS;
    const timeLeft = () => {
      const left = giveUpAt - Date.now();
      if (left <= 0) refuseTimedOut({ timed_out: true });
      return left;
    };
    const tiered = await readSuggestionTiers(typed, limit, (bodies) => this.searchAll(bodies, this.suggestions, timeLeft()));
    return tiered ?? parseSuggestResponse(await this.searchOne(suggestBody(typed, limit), this.suggestions, timeLeft()));
  }

  /**
   * One aggregation over the index per TTL, shared by every keystroke meanwhile. It reads every
   * product (273-430 ms of engine time at 196,000 on a busy machine, growing with the catalog),
   * so once one read succeeded no keystroke waits for the next: it is answered from the last
   * values while the next read runs. A failed read is tried again after FACET_VALUES_RETRY_MS,
   * not at the next keystroke, which at the design's size made every keystroke start another
   * whole-index aggregation while they failed.
   */
  facetValues(): Promise<FacetValues> {
    if (!this.facetValuesRead || this.facetValuesRead.until < Date.now()) {
      const values = this.transport({ method: "POST", path: `/${this.options.alias}/_search`, body: facetValuesBody(), timeoutMs: SEARCH_CLIENT_WAIT_MS }).then(({ body }) => parseFacetValuesResponse(body));
      const read = { values, until: Date.now() + (this.options.facetValuesTtlMs ?? 30_000) };
      values.then(
        (found) => {
          this.facetValuesKept = found;
        },
        (error: unknown) => {
          if (this.facetValuesRead === read) read.until = Date.now() + FACET_VALUES_RETRY_MS;
          this.options.logger?.warn("reading brands and categories for suggestions failed", { error: String(error) });
        },
      );
      this.facetValuesRead = read;
    }
    return this.facetValuesKept ? Promise.resolve(this.facetValuesKept) : this.facetValuesRead.values;
  }

  async needsRebuild(): Promise<boolean> {
    return this.madeByOlderVersion || (await this.count()) === 0;
  }

  async count(): Promise<number> {
    const { status, body } = await this.transport({ method: "GET", path: `/${this.options.alias}/_count` });
    return status === 404 ? 0 : (body as { count: number }).count;
  }

  async storageOrder(): Promise<StorageOrder> {
    const [documents, { status, body }] = await Promise.all([this.count(), this.transport({ method: "GET", path: `/${this.options.alias}/_mapping` })]);
    if (status === 404) return { documents, writtenInOrder: 0 };
    const written = Object.values(body as Record<string, { mappings?: { _meta?: { writtenInOrder?: number } } }>).map((index) => index.mappings?._meta?.writtenInOrder ?? 0);
    return { documents, writtenInOrder: Math.min(...written) };
  }

  async refresh(): Promise<void> {
    // Reads after a refresh see every write before it, suggestions' brands and categories too.
    this.facetValuesRead = undefined;
    this.facetValuesKept = undefined;
    for (const alias of [this.options.alias, this.building, this.suggestions, this.buildingSuggestions]) {
      if ((await this.aliasIndexes(alias)).length) await this.transport({ method: "POST", path: `/${alias}/_refresh` });
    }
  }

  async rebuild(source: AsyncIterable<SearchDocument[]>, onProgress?: (indexed: number) => void, options: RebuildOptions = {}): Promise<{ indexed: number }> {
    const { alias } = this.options;
    const name = `${alias}_${Date.now()}`;
    const suggestions = `${name}${SUGGESTIONS}`;
    const signal = options.lease?.signal;
    await this.transport({ method: "PUT", path: `/${name}`, body: withOwnAlias(name, indexDefinition({ bulkLoad: true })) });
    try {
      await this.transport({ method: "PUT", path: `/${suggestions}`, body: withOwnAlias(suggestions, suggestionIndexDefinition({ bulkLoad: true })) });
      this.ownAliased.add(name).add(suggestions);
      const staleProducts = await this.aliasIndexes(this.building);
      const staleSuggestions = await this.aliasIndexes(this.buildingSuggestions);
      const stale = [...staleProducts, ...staleSuggestions];
      await this.updateAliases([
        ...staleProducts.map((index) => ({ remove: { index, alias: this.building } })),
        ...staleSuggestions.map((index) => ({ remove: { index, alias: this.buildingSuggestions } })),
        { add: { index: name, alias: this.building } },
        { add: { index: suggestions, alias: this.buildingSuggestions } },
      ]);
      // A rebuild killed half-way left its index behind the building alias (each one a copy of
      // the catalog, on the engine for good). Deleted only under the claim: without it, the index
      // may be a live rebuild's, which then fails on its own.
      if (options.dropAbandonedBuilds && stale.length) {
        this.options.logger?.warn("deleting search indexes left by a rebuild that did not finish", { indexes: stale });
        await this.transport({ method: "DELETE", path: `/${stale.join(",")}` });
      }
      // Every indexer now sees the new index within its target TTL; from then on each live
      // change reaches it, so the scan below may start.
      await delay(this.writeTargetTtlMs + 250);

      let indexed = 0;
      const names = new RebuildNames();
      // One bulk in flight while the next page is read from the catalog. The engine stores
      // documents in the order one bulk at a time gives them (two bulks at once go to two
      // in-memory segments, interleaving the order at the size of a segment), and the catalog
      // comes newest first (catalogPage): block-max WAND then finds a relevance page's best
      // matches in the first blocks of the index and skips nearly every later one, since recency
      // is part of the score (BENCHMARKS.md, "Documents stored newest first").
      const writing: Promise<void>[] = [];
      for await (const documents of source) {
        if (writing.length >= 1) await writing.shift();
        const changes = documents.map((document): IndexChange => ({ kind: "upsert", document }));
        const write = this.writeRebuildBatch(documents, bulkBody(changes, [ownAlias(name)]), changes.length, suggestions, names, signal).then(() => {
          indexed += documents.length;
          onProgress?.(indexed);
        });
        write.catch(() => undefined);
        writing.push(write);
      }
      await Promise.all(writing);
      await this.writeNames(names.take(), signal);

      const both = `${name},${suggestions}`;
      await this.transport({ method: "PUT", path: `/${both}/_settings`, body: { index: { refresh_interval: REFRESH_INTERVAL, "translog.durability": "request" } } });
      // What this rebuild wrote newest first; products created after it are appended (storageOrder).
      await this.transport({ method: "PUT", path: `/${name}/_mapping`, body: { _meta: indexMeta({ writtenInOrder: indexed }) } });
      await this.transport({ method: "POST", path: `/${both}/_refresh` });
      await this.mergeInBackground(both);
      const previous = await this.aliasIndexes(alias);
      const previousSuggestions = await this.aliasIndexes(this.suggestions);
      const formerSuggestions = await this.aliasIndexes(this.formerSuggestions);
      // Last: a rebuild that lost its claim meanwhile must not replace what its taker serves.
      await options.lease?.confirm();
      await this.updateAliases([
        ...previous.map((index) => ({ remove: { index, alias } })),
        ...previousSuggestions.map((index) => ({ remove: { index, alias: this.suggestions } })),
        ...formerSuggestions.map((index) => ({ remove: { index, alias: this.formerSuggestions } })),
        { add: { index: name, alias } },
        { add: { index: suggestions, alias: this.suggestions } },
        { remove: { index: name, alias: this.building } },
        { remove: { index: suggestions, alias: this.buildingSuggestions } },
      ]);
      this.targets = undefined;
      this.facetValuesRead = undefined;
      this.madeByOlderVersion = false;
      this.wordRecencyHeld = true;
      this.suggestionsHeld = true;
      this.options.logger?.info("search index rebuilt", { alias, index: name, indexed });
      this.retire([...previous, ...previousSuggestions, ...formerSuggestions]);
      return { indexed };
    } catch (error) {
      await this.transport({ method: "DELETE", path: `/${name},${suggestions}`, querystring: { ignore_unavailable: "true" } }).catch(() => undefined);
      throw error;
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.retiring);
  }

  /**
   * One batch of a rebuild: the product index's lines (none when only suggestions are
   * rebuilt) and each product's member document created in the new suggestion index; the
   * names they joined go to `names`, written once per name rather than once per product.
   */
  private async writeRebuildBatch(documents: readonly SearchDocument[], productLines: string, productItems: number, suggestions: string, names: RebuildNames, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const memberLines = documents.flatMap((document) => memberCreateLines(document, ownAlias(suggestions)));
    const { body } = await this.transport({ method: "POST", path: "/_bulk", ndjson: productLines + memberLines.join("\n") + "\n", querystring: REQUIRE_ALIAS });
    const items = (body as { items?: Record<string, BulkItem>[] }).items ?? [];
    const failures = bulkFailures({ errors: true, items: items.slice(0, productItems) });
    for (const [i, entry] of items.slice(productItems).entries()) {
      const item = bulkItemOf(entry);
      const move = item && moveOfCreate(item, documents[i]!);
      if (move) names.offer(move);
      else if (item && item.status !== 409) failures.push(describeBulkItem(item));
    }
    if (failures.length) throw new Error(`Rebuild failed for ${failures.length} document(s): ${failures.slice(0, 3).join("; ")}`);
    if (names.size >= REBUILD_NAMES_HELD) await this.writeNames(names.take(), signal);
  }

  /**
   * Whether the product index is current but its suggestion index is missing or of an older
   * format: rebuildSuggestions makes one from the product index, minutes where a rebuild
   * from the catalog takes an hour at a million products.
   */
  async suggestionsOutdated(): Promise<boolean> {
    return !this.madeByOlderVersion && !this.suggestionsHeld && (await this.count()) > 0;
  }

  /**
   * A new suggestion index from the product index, with no downtime: live changes reach it
   * through the building alias from the start (the scan waits the write targets' TTL out, as a
   * rebuild does), member documents the scan finds already written are left as they are, and
   * autocomplete reads the product index until the alias moves.
   */
  async rebuildSuggestions(options: RebuildOptions = {}, onProgress?: (indexed: number) => void): Promise<{ indexed: number }> {
    const suggestions = `${this.options.alias}_${Date.now()}${SUGGESTIONS}`;
    const signal = options.lease?.signal;
    await this.transport({ method: "PUT", path: `/${suggestions}`, body: withOwnAlias(suggestions, suggestionIndexDefinition({ bulkLoad: true })) });
    this.ownAliased.add(suggestions);
    try {
      const stale = await this.aliasIndexes(this.buildingSuggestions);
      await this.updateAliases([...stale.map((index) => ({ remove: { index, alias: this.buildingSuggestions } })), { add: { index: suggestions, alias: this.buildingSuggestions } }]);
      if (options.dropAbandonedBuilds && stale.length) await this.transport({ method: "DELETE", path: `/${stale.join(",")}` });
      await delay(this.writeTargetTtlMs + 250);
      let indexed = 0;
      const names = new RebuildNames();
      let writing: Promise<void> | undefined;
      for await (const documents of this.scanProductIndex()) {
        await writing;
        writing = this.writeRebuildBatch(documents, "", 0, suggestions, names, signal).then(() => {
          indexed += documents.length;
          onProgress?.(indexed);
        });
        writing.catch(() => undefined);
      }
      await writing;
      await this.writeNames(names.take(), signal);
      await this.transport({ method: "PUT", path: `/${suggestions}/_settings`, body: { index: { refresh_interval: REFRESH_INTERVAL, "translog.durability": "request" } } });
      await this.transport({ method: "POST", path: `/${suggestions}/_refresh` });
      await this.mergeInBackground(suggestions);
      const previous = await this.aliasIndexes(this.suggestions);
      const former = await this.aliasIndexes(this.formerSuggestions);
      await options.lease?.confirm();
      await this.updateAliases([
        ...previous.map((index) => ({ remove: { index, alias: this.suggestions } })),
        ...former.map((index) => ({ remove: { index, alias: this.formerSuggestions } })),
        { add: { index: suggestions, alias: this.suggestions } },
        { remove: { index: suggestions, alias: this.buildingSuggestions } },
      ]);
      this.targets = undefined;
      this.suggestionsHeld = true;
      this.retire([...previous, ...former]);
      this.options.logger?.info("suggestion index rebuilt from the product index", { alias: this.suggestions, index: suggestions, indexed });
      return { indexed };
    } catch (error) {
      await this.transport({ method: "DELETE", path: `/${suggestions}`, querystring: { ignore_unavailable: "true" } }).catch(() => undefined);
      throw error;
    }
  }

  /** Every product document's suggestion fields, a page at a time in stored order (a scroll: no sort to pay for). */
  private async *scanProductIndex(pageSize = 2_000): AsyncGenerator<SearchDocument[]> {
    const fields = ["id", "name", "popularity", "version"];
    let page = await this.transport({ method: "POST", path: `/${this.options.alias}/_search`, querystring: { scroll: "2m" }, body: { size: pageSize, sort: ["_doc"], _source: fields } });
    let scrollId: string | undefined;
    try {
      for (;;) {
        const body = page.body as { _scroll_id?: string; hits: { hits: { _source: SearchDocument }[] } };
        scrollId = body._scroll_id;
        if (body.hits.hits.length === 0) return;
        yield body.hits.hits.map((hit) => hit._source);
        page = await this.transport({ method: "POST", path: "/_search/scroll", body: { scroll: "2m", scroll_id: scrollId } });
      }
    } finally {
      if (scrollId) await this.transport({ method: "DELETE", path: "/_search/scroll", body: { scroll_id: scrollId } }).catch(() => undefined);
    }
  }

  /**
   * Asks the engine to merge a freshly built index into one segment, without waiting: a bulk
   * load leaves about twenty, and every search visits each of them (at 2,000,000 products a
   * search with facets took p50 40-46 ms on 18 segments, 27-32 ms on one). The index answers
   * meanwhile; a merge refused or failed costs only that speed, so it never fails the rebuild.
   * This merge is the one step that does not keep the written order: the engines interleave the
   * segments of a forced merge, oldest and newest in pairs (Lucene's ShuffleForcedMergePolicy,
   * applied to an index without index sorting, which nested variants rule out). The newest
   * products' segment still comes first or second, so a relevance page scores a few dozen
   * matches more than on a strictly ordered index (BENCHMARKS.md, "Documents stored newest
   * first"), against thousands on an unordered one.
   */
  private async mergeInBackground(name: string): Promise<void> {
    await this.transport({ method: "POST", path: `/${name}/_forcemerge`, querystring: { max_num_segments: "1", wait_for_completion: "false" } }).catch((error: unknown) =>
      this.options.logger?.warn("could not start merging the rebuilt search index; it answers as it is", { index: name, error: String(error) }),
    );
  }

  /** Deletes replaced indexes once searches that started on them have had time to finish. */
  private retire(indexes: string[]): void {
    if (indexes.length === 0) return;
    const done = delay(this.retireDelayMs)
      .then(() => this.transport({ method: "DELETE", path: `/${indexes.join(",")}` }))
      .then(
        () => undefined,
        (error: unknown) => this.options.logger?.warn("could not delete replaced search index", { indexes, error: String(error) }),
      )
      .finally(() => this.retiring.delete(done));
    this.retiring.add(done);
  }

  /**
   * An index made by an older mapping takes the fields added since (so live changes, which
   * carry them, are still accepted) and is marked for a rebuild, which brings the rest
   * (analyzers, sub-fields) with a new index behind the alias. An index holding documents of an
   * older format (document-format.ts) needs no field but is marked for a rebuild as well: its
   * documents lack words this version searches for. The rebuild makes a suggestion index too;
   * a current index without one of the current format only needs that (rebuildSuggestions).
   */
  private async upgradeMapping(): Promise<void> {
    const { body } = await this.transport({ method: "GET", path: `/${this.options.alias}/_mapping` });
    const metas = Object.values(body as Record<string, { mappings?: { _meta?: { mappingVersion?: number; documentFormat?: number } } }>).map((index) => index.mappings?._meta ?? {});
    const versions = metas.map((meta) => meta.mappingVersion ?? 1);
    const formats = metas.map((meta) => meta.documentFormat ?? UNRECORDED_DOCUMENT_FORMAT);
    this.wordRecencyHeld = Math.min(...versions) >= WORD_RECENCY_SINCE;
    const mappingOutdated = Math.min(...versions) < MAPPING_VERSION;
    const formatOutdated = Math.min(...formats) < DOCUMENT_FORMAT;
    if (mappingOutdated) await this.transport({ method: "PUT", path: `/${this.options.alias}/_mapping`, body: { properties: ADDED_FIELDS } });
    this.suggestionsHeld = await this.suggestionIndexCurrent();
    // Without a suggestion index of the current format, a current product index is enough to
    // make one from (suggestionsOutdated).
    if (!mappingOutdated && !formatOutdated) return;
    this.madeByOlderVersion = true;
    this.options.logger?.info("search index was made by an older version; it will be rebuilt", {
      alias: this.options.alias,
      versions,
      current: MAPPING_VERSION,
      documentFormats: formats,
      currentDocumentFormat: DOCUMENT_FORMAT,
      suggestionIndex: this.suggestionsHeld,
    });
  }

  /** Whether the suggestion alias names an index of SUGGESTION_FORMAT (one GET, as reading the alias was). */
  private async suggestionIndexCurrent(): Promise<boolean> {
    const { status, body } = await this.transport({ method: "GET", path: `/${this.suggestions}/_mapping` });
    if (status === 404) return false;
    const formats = Object.values(body as Record<string, { mappings?: { _meta?: { suggestionFormat?: number } } }>).map((index) => index.mappings?._meta?.suggestionFormat);
    return formats.length > 0 && formats.every((format) => format === SUGGESTION_FORMAT);
  }

  /** The aliases a live change is written to: the product ones, and the suggestion ones that exist. */
  private async writeTargets(): Promise<{ names: string[]; suggestions: string[] }> {
    if (!this.targets || this.targets.until < Date.now()) {
      const held = await this.heldAliases([this.building, this.suggestions, this.buildingSuggestions]);
      const [building, suggestions, buildingSuggestions] = [this.building, this.suggestions, this.buildingSuggestions].map((alias) => held.has(alias));
      this.targets = {
        names: building ? [this.options.alias, this.building] : [this.options.alias],
        suggestions: [...(suggestions ? [this.suggestions] : []), ...(buildingSuggestions ? [this.buildingSuggestions] : [])],
        until: Date.now() + this.writeTargetTtlMs,
      };
    }
    return this.targets;
  }

  /**
   * Which of these aliases exist, in one request: the engines answer 404 naming the missing ones
   * beside the indexes of those found.
   */
  private async heldAliases(aliases: readonly string[]): Promise<Set<string>> {
    const { body } = await this.transport({ method: "GET", path: `/_alias/${aliases.join(",")}` });
    const held = new Set<string>();
    for (const [index, entry] of Object.entries(body as Record<string, unknown>)) {
      if (index === "error" || index === "status") continue;
      for (const alias of Object.keys((entry as { aliases?: Record<string, unknown> }).aliases ?? {})) held.add(alias);
    }
    return held;
  }

  private async aliasIndexes(alias: string): Promise<string[]> {
    const { status, body } = await this.transport({ method: "GET", path: `/_alias/${alias}` });
    return status === 404 ? [] : Object.keys(body as Record<string, unknown>);
  }

  /**
   * All the actions or none, as the engines apply them; an action on an index that is gone (a
   * build deleted by another rebuilder) fails the whole update, which must fail the caller: a
   * rebuild that took it for done would retire the indexes its alias still names.
   */
  private async updateAliases(actions: Record<string, unknown>[]): Promise<void> {
    const { status, body } = await this.transport({ method: "POST", path: "/_aliases", body: { actions } });
    if (status >= 300) throw new Error(`moving the search aliases failed (${status}): ${JSON.stringify(body).slice(0, 500)}`);
  }
}
