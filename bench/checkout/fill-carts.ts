import pg from "pg";

export interface CartFill {
  userId: string;
  /** Variant ids; a product without options is its own (default) variant. */
  lines: { variantId: string; quantity: number }[];
}

/**
 * Fills carts straight in the cart's tables, at the catalog's current prices (accepted
 * prices equal current ones, so checkout never answers PRICE_CHANGED). Setup, not the thing
 * measured: through the gateway it took longer than the run itself.
 */
export async function fillCarts(databaseUrl: string, carts: CartFill[], prices: Map<string, { amount: number; currency: string }>): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    for (let start = 0; start < carts.length; start += 2_000) {
      const slice = carts.slice(start, start + 2_000);
      await client.query(`INSERT INTO "Cart" ("userId", "updatedAt") SELECT u, now() FROM unnest($1::text[]) AS u ON CONFLICT DO NOTHING`, [slice.map((c) => c.userId)]);
      const rows = slice.flatMap((cart) => cart.lines.map((line) => ({ userId: cart.userId, ...line, price: prices.get(line.variantId)! })));
      await client.query(
        `INSERT INTO "CartItem" ("userId", "variantId", "productId", quantity, "unitAmount", currency, "addedAt")
         SELECT line.u, line.v, split_part(line.v, ':', 1), line.q, line.a, line.c, now()
         FROM unnest($1::text[], $2::text[], $3::int[], $4::int[], $5::text[]) AS line(u, v, q, a, c)
         ON CONFLICT ("userId", "variantId") DO UPDATE SET quantity = EXCLUDED.quantity`,
        [rows.map((r) => r.userId), rows.map((r) => r.variantId), rows.map((r) => r.quantity), rows.map((r) => r.price.amount), rows.map((r) => r.price.currency)],
      );
    }
  } finally {
    await client.end();
  }
}
