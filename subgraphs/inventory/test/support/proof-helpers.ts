import assert from "node:assert/strict";
import { waitFor } from "#kernel/testing";
import type { InventoryService } from "../../src/domain/inventory.service.js";
import type { StockItem } from "../../src/domain/stock.js";
import type { InventoryRig, RigFactory, RigOptions } from "./inventory-rig.js";

/** The `extensions` of a coded error a service call rejected with. */
export function extensionsOf(reason: unknown): Record<string, unknown> {
  const extensions = (reason as { extensions?: Record<string, unknown> })?.extensions;
  assert.ok(extensions, `expected a coded error, got ${String(reason)}`);
  return extensions;
}

export async function rejectsWithCode(promise: Promise<unknown>, code: string): Promise<Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    const extensions = extensionsOf(error);
    assert.equal(extensions.code, code, `expected ${code}, got ${String(extensions.code)}: ${String(error)}`);
    return extensions;
  }
  assert.fail(`expected ${code}, but it succeeded`);
}

export type BuyOutcome = { sold: true } | { sold: false; code: string; variantId?: unknown; available?: unknown };

/** One buyer: a reservation that either succeeds or fails with a coded error (anything else throws). */
export async function buy(service: InventoryService, reservationId: string, items: StockItem[]): Promise<BuyOutcome> {
  try {
    await service.reserve(reservationId, items);
    return { sold: true };
  } catch (error) {
    const { code, variantId, available } = extensionsOf(error);
    return { sold: false, code: String(code), variantId, available };
  }
}

export async function waitUntilTrusted(service: InventoryService): Promise<void> {
  await waitFor("the stock mirror is trusted", () => service.mirror.status().trusted, { timeoutMs: 20_000 });
  await service.mirror.settled();
}

/**
 * The mirror's counters equal the ledger's `available` for every product, at the epoch the
 * service trusts. Returns the ledger levels for further checks.
 */
export async function assertMirrorAgrees(rig: InventoryRig, variantIds: string[]) {
  // Every other process of the rig rebuilds on its own timers (one just started rebuilds at
  // once): until this service's next check adopts the marker such a rebuild wrote, the two
  // differ legitimately, so the epochs are awaited, not read once.
  let mirror = await rig.cache.read(variantIds);
  await waitFor(
    "the mirror is at the epoch the service trusts",
    async () => {
      for (const other of rig.others) await other.mirror.settled();
      // A read first: it adopts a marker another process wrote, or starts a due rebuild.
      await rig.service.availability(variantIds);
      await waitUntilTrusted(rig.service);
      await rig.service.availability(variantIds);
      mirror = await rig.cache.read(variantIds);
      return mirror.epoch !== null && mirror.epoch === rig.service.mirror.status().epoch;
    },
    { timeoutMs: 20_000 },
  );
  const levels = await rig.ledger.levels(variantIds);
  assert.deepEqual(
    Object.fromEntries(variantIds.map((id, i) => [id, mirror.available[i]])),
    Object.fromEntries(variantIds.map((id) => [id, levels.get(id)?.available ?? null])),
    "Redis and PostgreSQL agree",
  );
  return levels;
}

/** Reservations per status in the ledger. */
export async function reservationsByStatus(rig: InventoryRig): Promise<Record<string, number>> {
  const rows = await rig.prisma.reservation.groupBy({ by: ["status"], _count: { _all: true } });
  return Object.fromEntries(rows.map((row) => [row.status, row._count._all]));
}

export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

export const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/**
 * Runs `body` on a fresh rig whose products hold `stock`, once the mirror is trusted, and
 * closes the rig whatever happens.
 */
export async function withStockedRig(createRig: RigFactory, stock: Record<string, number>, options: RigOptions, body: (rig: InventoryRig) => Promise<void>): Promise<void> {
  const rig = await createRig(options);
  try {
    await rig.service.seedStock(Object.entries(stock).map(([variantId, units]) => ({ variantId, stock: units })));
    await waitUntilTrusted(rig.service);
    await body(rig);
  } finally {
    await rig.close();
  }
}
