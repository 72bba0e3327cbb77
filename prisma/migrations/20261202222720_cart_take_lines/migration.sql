-- Hand-written: what an order takes from its cart, as one function of the cart's own, so the
-- order placement (orders_place) can call it in the same statement and transaction.
--
-- One cart becomes at most one order, whatever the idempotency keys of the checkouts racing
-- for it. The database decides:
-- 1. The cart's row lock comes first, as in every change of the cart, so checkouts and edits
--    of one cart take turns (and never deadlock on its lines); under READ COMMITTED each
--    statement then sees what the previous holder committed.
-- 2. Every priced line (product, quantity, accepted price) must still be there, exactly: a
--    row count under the lock rather than a cart version, so a line added meanwhile does not
--    refuse the checkout (it stays for a later order), while a race's losers find none.
-- 3. Otherwise "changed" with nothing written: `linesLeft` counts the lines the cart holds
--    (products that left the catalog aside), `lastOrderId` names the order that took its
--    lines last, unless the customer changed the cart since (every edit clears it).
-- 4. Else the priced lines leave, with the lines of products that left the catalog (they
--    were not ordered and cannot be), and the cart names the order that took them.
--
-- Result: {"outcome": "removed"} or {"outcome": "changed", "linesLeft": n, "lastOrderId": id|null}.
CREATE FUNCTION cart_take_lines(
  p_user_id text,
  p_order_id text,
  p_products text[],
  p_quantities int[],
  p_amounts int[],
  p_currencies text[],
  p_unavailable text[],
  p_now timestamp(3)
) RETURNS jsonb
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_last_order text;
  v_found boolean;
  v_matching int := 0;
  v_left int;
BEGIN
  SELECT "lastOrderId" INTO v_last_order FROM "Cart" WHERE "userId" = p_user_id FOR UPDATE;
  v_found := FOUND;
  IF v_found THEN
    SELECT count(*) INTO v_matching
    FROM "CartItem" line
    JOIN unnest(p_products, p_quantities, p_amounts, p_currencies) AS priced(product, quantity, amount, currency)
      ON line."productId" = priced.product AND line.quantity = priced.quantity
     AND line."unitAmount" = priced.amount AND line.currency = priced.currency
    WHERE line."userId" = p_user_id;
  END IF;
  IF NOT v_found OR v_matching <> coalesce(array_length(p_products, 1), 0) THEN
    SELECT count(*) INTO v_left FROM "CartItem"
    WHERE "userId" = p_user_id AND NOT ("productId" = ANY(coalesce(p_unavailable, '{}')));
    RETURN jsonb_build_object('outcome', 'changed', 'linesLeft', v_left, 'lastOrderId', v_last_order);
  END IF;

  DELETE FROM "CartItem"
  WHERE "userId" = p_user_id AND ("productId" = ANY(p_products) OR "productId" = ANY(coalesce(p_unavailable, '{}')));
  UPDATE "Cart" SET "updatedAt" = p_now, "lastOrderId" = p_order_id WHERE "userId" = p_user_id;
  RETURN jsonb_build_object('outcome', 'removed');
END
$$;
