import { Journal } from "#kernel";

/** A product's whole slot (or its absence, once a published tombstone is dropped), or the listings' last numbers. */
type CatalogRecord<S> = { id: string; slot: S | null } | { seqs: [listing: string, seq: number][] };

interface CatalogState<S> {
  slots: Map<string, S>;
  /** Last number handed out per listing; only ever grows, so a cursor never meets a reused number. */
  lastSeq: Map<string, number>;
}

/**
 * Keeps the embedded catalog's slots in a journal under EMBEDDED_DATA_DIR: each write
 * records the whole slot it changed (product, tombstone and published version alike), so the
 * unpublished-change outbox survives a crash with the documents it belongs to.
 */
export class EmbeddedCatalogJournal<S> {
  /** The listings' numbers as last journaled: a write records only those it moved. */
  private readonly savedSeqs: Map<string, number>;

  private constructor(
    private readonly journal: Journal<CatalogRecord<S>>,
    private readonly state: CatalogState<S>,
  ) {
    this.savedSeqs = new Map(state.lastSeq);
  }

  /** Replays `dir` into `state` (empty maps), then journals what `save` is told. */
  static async open<S>(dir: string, state: CatalogState<S>, options: { onWarning?: (message: string, detail: Record<string, unknown>) => void; compactAfter?: number } = {}) {
    const journal = await Journal.open<CatalogRecord<S>>({
      dir,
      apply: (record) => {
        if ("seqs" in record) {
          for (const [listing, seq] of record.seqs) state.lastSeq.set(listing, Math.max(seq, state.lastSeq.get(listing) ?? 0));
        } else if (record.slot === null) state.slots.delete(record.id);
        else state.slots.set(record.id, record.slot);
      },
      snapshot: function* () {
        yield { seqs: [...state.lastSeq] };
        for (const [id, slot] of state.slots) yield { id, slot };
      },
      onWarning: options.onWarning,
      compactAfter: options.compactAfter,
    });
    return new EmbeddedCatalogJournal(journal, state);
  }

  /** Records the slots of `ids` as they are now; resolves once they are durable. */
  save(ids: readonly string[]): Promise<void> {
    const records: CatalogRecord<S>[] = ids.map((id) => ({ id, slot: this.state.slots.get(id) ?? null }));
    const moved = [...this.state.lastSeq].filter(([listing, seq]) => this.savedSeqs.get(listing) !== seq);
    if (moved.length) {
      records.push({ seqs: moved });
      for (const [listing, seq] of moved) this.savedSeqs.set(listing, seq);
    }
    return this.journal.append(records);
  }

  /** Writes a snapshot now rather than when the journal has grown (tools and benchmarks). */
  compact(): Promise<void> {
    return this.journal.compact();
  }

  close(): Promise<void> {
    return this.journal.close();
  }
}
