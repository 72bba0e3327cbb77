import type { Order } from "./order.js";
import { fromArchiveDocument, orderArchived, type ArchivedOrder } from "./order-archive.js";
import type { OrderPosition, OrderStore } from "../ports/order-store.js";
import type { ArchiveDirectory, ArchiveFiles, ArchivedOrderEntry } from "../ports/order-archive.js";

/** The order store that also finds archived orders, and the listing that includes them. */
export interface ArchiveReadingOrderStore extends OrderStore {
  /** A customer's orders, live and archived together, newest first. */
  listWithArchive(userId: string, first: number, after?: OrderPosition): Promise<{ items: Order[]; hasNextPage: boolean }>;
  countWithArchive(userId: string): Promise<number>;
}

const newerFirst = (a: { createdAt: Date; id: string }, b: { createdAt: Date; id: string }) =>
  b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

/**
 * Wraps the live store: an order not found live is looked up in the archive directory (one
 * primary-key read) and read from its file, marked archived. Changes to an archived order
 * (every `update`: cancel, ship, refund, return...) fail with OPERATION_NOT_ALLOWED. A checkout
 * whose key names an archived order is refused the same way by the live store's `place`, in
 * its placing statement, so an id is never both live and archived.
 */
export function createArchiveReadingOrderStore(live: OrderStore, archive: { directory: ArchiveDirectory; files: ArchiveFiles }): ArchiveReadingOrderStore {
  const { directory, files } = archive;

  async function read(entries: readonly ArchivedOrderEntry[]): Promise<Map<string, ArchivedOrder>> {
    if (entries.length === 0) return new Map();
    const rows = await files.readByIds(
      entries.map((e) => e.objectKey),
      entries.map((e) => e.id),
    );
    return new Map(rows.map((row) => [row.id, fromArchiveDocument(row.document)]));
  }

  async function archived(id: string): Promise<ArchivedOrder | null> {
    const entry = (await directory.find([id])).get(id);
    return entry ? ((await read([entry])).get(id) ?? null) : null;
  }

  return {
    ...live,

    async findById(id) {
      return (await live.findById(id)) ?? (await archived(id));
    },

    async update(orderId, decide, once, customer) {
      // Not live: the directory is asked after the transaction, so a transaction never waits
      // on a second connection (many at once would empty the pool); a missing order that is
      // not archived is decided again as before.
      const notLive = Symbol("not live");
      try {
        return await live.update(
          orderId,
          async (current, reads) => {
            if (!current) throw notLive;
            return decide(current, reads);
          },
          once,
          customer,
        );
      } catch (error) {
        if (error !== notLive) throw error;
      }
      if ((await directory.find([orderId])).size > 0) throw orderArchived(orderId);
      return live.update(orderId, decide, once, customer);
    },

    async listWithArchive(userId, first, after) {
      const [current, older] = await Promise.all([live.listByUser(userId, first, after), directory.listByUser(userId, first + 1, after)]);
      const merged = [...current.items.map((order) => ({ order, entry: null })), ...older.map((entry) => ({ order: null, entry }))].sort((a, b) =>
        newerFirst(a.order ?? a.entry!, b.order ?? b.entry!),
      );
      const page = merged.slice(0, first);
      const found = await read(page.flatMap((p) => (p.entry ? [p.entry] : [])));
      const items = page.map((p) => p.order ?? found.get(p.entry!.id)).filter((order): order is Order => order !== undefined);
      return { items, hasNextPage: merged.length > first || current.hasNextPage };
    },

    async countWithArchive(userId) {
      const [current, older] = await Promise.all([live.countByUser(userId), directory.countByUser(userId)]);
      return current + older;
    },
  };
}
