-- cart_take_lines' "changed" answer also says how many of the priced lines the cart still holds
-- as lines (the variant, added at the same time), whatever their quantity or price now:
-- "pricedLinesLeft". A line only edited since the checkout priced it (updateCartItem keeps when
-- it was added) can be edited back, and a same-key twin of that checkout, priced on the same
-- line, would then place its order; a line removed, or taken by another order, cannot come back
-- as priced (a line put back is added anew). So a checkout refused "changed" may give its key's
-- hold back at once only when none of its priced lines is left; otherwise only when no twin
-- reserved it since (checkout.service.ts). Same signature, one key more in the answer: a
-- process of the previous release ignores it.

CREATE OR REPLACE FUNCTION cart_take_lines(
  p_user_id text,
  p_order_id text,
  p_variants text[],
  p_quantities int[],
  p_amounts int[],
  p_currencies text[],
  p_unavailable text[],
  p_now timestamp(3),
  p_added_at timestamp(3)[]
) RETURNS jsonb
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_last_order text;
  v_found boolean;
  v_matching int := 0;
  v_left int;
  v_priced_left int;
BEGIN
  SELECT "lastOrderId" INTO v_last_order FROM "Cart" WHERE "userId" = p_user_id FOR UPDATE;
  v_found := FOUND;
  IF v_found THEN
    SELECT count(*) INTO v_matching
    FROM "CartItem" line
    JOIN unnest(p_variants, p_quantities, p_amounts, p_currencies, p_added_at) AS priced(variant, quantity, amount, currency, added_at)
      ON line."variantId" = priced.variant AND line.quantity = priced.quantity
     AND line."unitAmount" = priced.amount AND line.currency = priced.currency
     AND (priced.added_at IS NULL OR line."addedAt" = priced.added_at)
    WHERE line."userId" = p_user_id;
  END IF;
  IF NOT v_found OR v_matching <> coalesce(array_length(p_variants, 1), 0) THEN
    SELECT count(*) INTO v_left FROM "CartItem"
    WHERE "userId" = p_user_id AND NOT ("variantId" = ANY(coalesce(p_unavailable, '{}')));
    SELECT count(*) INTO v_priced_left
    FROM "CartItem" line
    JOIN unnest(p_variants, p_added_at) AS priced(variant, added_at)
      ON line."variantId" = priced.variant AND (priced.added_at IS NULL OR line."addedAt" = priced.added_at)
    WHERE line."userId" = p_user_id;
    RETURN jsonb_build_object('outcome', 'changed', 'linesLeft', v_left, 'lastOrderId', v_last_order, 'pricedLinesLeft', v_priced_left);
  END IF;

  DELETE FROM "CartItem"
  WHERE "userId" = p_user_id AND ("variantId" = ANY(p_variants) OR "variantId" = ANY(coalesce(p_unavailable, '{}')));
  UPDATE "Cart" SET "updatedAt" = p_now, "lastOrderId" = p_order_id WHERE "userId" = p_user_id;
  RETURN jsonb_build_object('outcome', 'removed');
END
$$;
