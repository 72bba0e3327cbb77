/**
 * The suggestion index holds one document per distinct product name, so a keystroke reads
 * each score tier once (suggestion-tiers.ts) whatever the catalog: when the index held one
 * document per product, a name sold as 550 products filled page after page with itself, and
 * every further name cost one more sequential read (11 a keystroke at 2,000,000 products).
 *
 * A name's document shows the name's best product (most units sold, then lowest id), which is
 * the product the scored query's collapse by name kept. Beside the name documents, one member
 * document per product (`member.*` only, so no suggestion filter ever matches one) records the
 * product's current name, units sold and catalog version. Every change is written in two steps:
 *
 * 1. The member document, by a script that applies the change only when it is newer than the
 *    document's version and keeps the name the product had before. The engine serialises writes
 *    to one document, so the answers of the accepted changes of a product form a chain: each
 *    says which name the product joined and which it left.
 * 2. The name documents those answers name: the joined name is offered the product (kept when
 *    it is better than the name's best: a commutative "keep the better", so offers from any
 *    number of writers land in any order), the left name records the departure with its
 *    version (an offer no newer than a recorded departure is refused, so a late offer cannot
 *    bring a product back into a name it left). When the best product leaves a name or sells
 *    fewer units, the name is marked unsure and its best is read again from the member
 *    documents (recomputeName), conditionally on nothing having changed the name meanwhile.
 *
 * A change replayed (same version as the member document holds) runs step 2 again: a writer
 * that stopped between the steps leaves nothing wrong once the change is delivered again.
 * Step 2 names the concrete index step 1 answered from, which a rebuild may retire (delete)
 * between the steps: its writes go through the index's own alias (own-index-alias.ts), so one
 * arriving after the index went fails rather than creating an index with a dynamic mapping.
 */
import { createHash } from "node:crypto";
import type { IndexChange, SearchDocument } from "../ports/search-index.js";
import { indexVersion } from "../domain/index-version.js";
import { ownAlias, REQUIRE_ALIAS } from "./own-index-alias.js";

/** Bumped when what the suggestion index holds changes; an index of another format is rebuilt (from the product index). */
export const SUGGESTION_FORMAT = 2;

/** How long a departure is remembered: far longer than a change can lag behind a later one. */
export const DEPARTURE_KEPT_MS = 24 * 60 * 60 * 1000;

/** Tries of a name's recomputation against concurrent changes of the same name before giving up (the change is then redelivered). */
const RECOMPUTE_TRIES = 8;

export const memberDocumentId = (productId: string) => `m:${productId}`;

/** Names are up to 200 characters, more than an engine id holds in bytes; a digest is short and fixed. */
export const nameDocumentId = (name: string) => `n:${createHash("sha1").update(name).digest("hex")}`;

const MEMBER_SCRIPT = `
def m = ctx._source.member;
if (m != null && m.version >= params.version) { ctx.op = 'none'; return; }
ctx._source.member = ['id': params.id, 'name': params.name, 'popularity': params.popularity, 'version': params.version, 'previous': m == null ? null : m.name];
`;

const NAME_SCRIPT = `
def s = ctx._source;
boolean changed = false;
if (s.departed == null) { s.departed = new HashMap(); changed = true; }
for (def op : params.ops) {
  def gone = s.departed.get(op.id);
  if (op.leave) {
    if (gone == null || gone[0] < op.version) { s.departed.put(op.id, [op.version, params.now]); changed = true; }
    if (op.id.equals(s.id) && s.unsure != true) { s.unsure = true; changed = true; }
    continue;
  }
  if (gone != null && gone[0] >= op.version) { continue; }
  if (s.id == null) { s.name = params.name; s.id = op.id; s.popularity = op.popularity; s.version = op.version; changed = true; continue; }
  if (op.id.equals(s.id)) {
    if (op.version > s.version) {
      if (op.popularity < s.popularity) { s.unsure = true; }
      s.popularity = op.popularity; s.version = op.version; changed = true;
    }
    continue;
  }
  if (op.popularity > s.popularity || (op.popularity == s.popularity && op.id.compareTo(s.id) < 0)) {
    s.id = op.id; s.popularity = op.popularity; s.version = op.version; changed = true;
  }
}
def entries = s.departed.entrySet().iterator();
while (entries.hasNext()) { if (entries.next().getValue()[1] < params.now - params.kept) { entries.remove(); changed = true; } }
if (!changed) { ctx.op = 'none'; }
`;

/** What the suggestion index's mapping adds to the name fields for the two kinds of document. */
export const SUGGESTION_BOOKKEEPING_FIELDS = {
  version: { type: "long", index: false },
  unsure: { type: "boolean" },
  departed: { type: "object", enabled: false },
  member: {
    properties: {
      id: { type: "keyword" },
      name: { type: "keyword" },
      popularity: { type: "long" },
      version: { type: "long", index: false },
      previous: { type: "keyword", index: false, doc_values: false },
    },
  },
} as const;

interface MemberState {
  id: string;
  name: string | null;
  popularity: number;
  version: number;
}

const changeState = (change: IndexChange): MemberState =>
  change.kind === "upsert"
    ? { id: change.document.id, name: change.document.name, popularity: change.document.popularity, version: indexVersion(change) }
    : { id: change.id, name: null, popularity: 0, version: indexVersion(change) };

/** Step 1 for a live change: the member document's conditional update, answering with what it holds. */
export function memberUpdateLines(change: IndexChange, target: string): string[] {
  const state = changeState(change);
  return [
    JSON.stringify({ update: { _index: target, _id: memberDocumentId(state.id), retry_on_conflict: 5 } }),
    JSON.stringify({ _source: ["member"], scripted_upsert: true, upsert: {}, script: { source: MEMBER_SCRIPT, params: state } }),
  ];
}

/**
 * Step 1 for a rebuild into a new index: created, not updated. A live change written there
 * first holds a version at least as new (the rebuild read the catalog after the index took
 * live changes), so a conflict means the rebuild's copy is not needed.
 */
export function memberCreateLines(document: SearchDocument, index: string): string[] {
  const state = changeState({ kind: "upsert", document });
  return [JSON.stringify({ create: { _index: index, _id: memberDocumentId(state.id) } }), JSON.stringify({ member: { ...state, previous: null } })];
}

/** A product's move between names, as step 1 answered it, in one concrete index. */
export interface NameMove {
  index: string;
  productId: string;
  version: number;
  popularity: number;
  joined: string | null;
  left: string | null;
}

export interface BulkItem {
  status: number;
  _index?: string;
  result?: string;
  error?: { type?: string; reason?: string };
  get?: { _source?: { member?: MemberState & { previous: string | null } } };
}

/** A bulk item's outcome as a failure message names it. */
export const describeBulkItem = (item: { status: number; error?: { type?: string; reason?: string } } | undefined): string =>
  `${item?.status ?? "?"} ${item?.error?.type ?? ""}: ${item?.error?.reason ?? ""}`;

export const bulkItemOf = (entry: Record<string, BulkItem>): BulkItem | undefined => Object.values(entry)[0];

/**
 * The move an update answer describes, when it is this change's (the member document holds
 * its version: applied now, or by an earlier delivery whose step 2 may not have run).
 */
export function moveOfUpdate(item: BulkItem, change: IndexChange): NameMove | undefined {
  const version = indexVersion(change);
  const member = item.get?._source?.member;
  if (item.status >= 300 || !member || Number(member.version) !== version || !item._index) return undefined;
  return {
    index: item._index,
    productId: member.id,
    version,
    popularity: Number(member.popularity),
    joined: member.name,
    left: member.previous !== null && member.previous !== member.name ? member.previous : null,
  };
}

/** The move a rebuild's create stands for, when it was created (a conflict: a live change got there first). */
export function moveOfCreate(item: BulkItem, document: SearchDocument): NameMove | undefined {
  if (item.status !== 201 || !item._index) return undefined;
  return { index: item._index, productId: document.id, version: indexVersion({ kind: "upsert", document }), popularity: document.popularity, joined: document.name, left: null };
}

/** Step 2: one scripted update per name and index, carrying every move of that name in order; `names` in the order of the lines. */
export function nameUpdates(moves: readonly NameMove[], now = Date.now()): { lines: string[]; names: { index: string; name: string }[] } {
  const byName = new Map<string, { index: string; name: string; ops: unknown[] }>();
  const opsOf = (index: string, name: string) => {
    const key = `${index}\u0000${name}`;
    let entry = byName.get(key);
    if (!entry) byName.set(key, (entry = { index, name, ops: [] }));
    return entry.ops;
  };
  for (const move of moves) {
    if (move.left !== null) opsOf(move.index, move.left).push({ id: move.productId, version: move.version, leave: true });
    if (move.joined !== null) opsOf(move.index, move.joined).push({ id: move.productId, version: move.version, popularity: move.popularity, leave: false });
  }
  const lines: string[] = [];
  for (const { index, name, ops } of byName.values()) {
    lines.push(
      JSON.stringify({ update: { _index: ownAlias(index), _id: nameDocumentId(name), retry_on_conflict: 5, require_alias: true } }),
      JSON.stringify({ _source: ["unsure"], scripted_upsert: true, upsert: {}, script: { source: NAME_SCRIPT, params: { name, ops, now, kept: DEPARTURE_KEPT_MS } } }),
    );
  }
  return { lines, names: [...byName.values()].map(({ index, name }) => ({ index, name })) };
}

/** The names step 2 marked unsure (their best left or sells fewer), to recompute; failures thrown. */
export function unsureNames(body: unknown, names: readonly { index: string; name: string }[]): { index: string; name: string }[] {
  const items = ((body as { items?: Record<string, BulkItem>[] }).items ?? []).map(bulkItemOf);
  if (items.length !== names.length) throw new Error(`suggestion names: ${items.length} answers to ${names.length} updates`);
  const failures: string[] = [];
  const unsure: { index: string; name: string }[] = [];
  for (const [i, item] of items.entries()) {
    if (!item || item.status >= 300) failures.push(describeBulkItem(item));
    else if ((item.get?._source as { unsure?: boolean } | undefined)?.unsure === true) unsure.push(names[i]!);
  }
  if (failures.length) throw new Error(`Suggestion names failed for ${failures.length} name(s): ${failures.slice(0, 3).join("; ")}`);
  return unsure;
}

type Transport = (request: { method: "GET" | "PUT" | "POST"; path: string; body?: unknown; querystring?: Record<string, string> }) => Promise<{ status: number; body: unknown }>;

interface NameSource {
  name?: string;
  id?: string;
  unsure?: boolean;
  departed?: Record<string, [number, number]>;
}

/**
 * Reads an unsure name's best product from its member documents and writes it, unless the
 * name's document changed meanwhile (then again). The refresh after reading the name's
 * document makes every member change that came before that read visible to the search: each
 * member change is followed by its name's step 2, which would have changed the document.
 */
export async function recomputeName(transport: Transport, index: string, name: string): Promise<void> {
  const target = ownAlias(index);
  const path = `/${target}/_doc/${encodeURIComponent(nameDocumentId(name))}`;
  for (let attempt = 0; attempt < RECOMPUTE_TRIES; attempt++) {
    const { status, body } = await transport({ method: "GET", path });
    if (status === 404) return;
    const current = body as { _seq_no: number; _primary_term: number; _source: NameSource };
    if (current._source.unsure !== true) return;
    await transport({ method: "POST", path: `/${target}/_refresh` });
    const found = await transport({
      method: "POST",
      path: `/${target}/_search`,
      body: { size: 1, query: { term: { "member.name": name } }, sort: [{ "member.popularity": "desc" }, { "member.id": "asc" }], _source: ["member"] },
    });
    const best = (found.body as { hits: { hits: { _source: { member: MemberState } }[] } }).hits.hits[0]?._source.member;
    const departed = current._source.departed ?? {};
    const next = best ? { name, id: best.id, popularity: Number(best.popularity), version: Number(best.version), departed } : { departed };
    const written = await transport({
      method: "PUT",
      path,
      body: next,
      querystring: { if_seq_no: String(current._seq_no), if_primary_term: String(current._primary_term), ...REQUIRE_ALIAS },
    }).then(
      () => true,
      (error: unknown) => {
        if (String(error).includes("version_conflict")) return false;
        throw error;
      },
    );
    if (written) return;
  }
  throw new Error(`suggestion name "${name}" kept changing while its best product was read again`);
}
