-- A checkout takes the cart's lines it priced, not lines that look like them. cart_take_lines
-- compared each line's variant, quantity and accepted price, so a line removed and put back
-- between a checkout's read and its placement passed for the one priced: two checkouts of one
-- cart under two keys (a double click) placed two orders when the first one's placement was
-- followed, before the second's, by the same line coming back (a guest cart merged at sign-in
-- in another tab, the item added again). Each line is now also matched on when it was added
-- (addedAt, kept by every change of a line and new for a line put back), so the second
-- checkout finds the cart changed and places nothing.
--
-- Both functions take the line times as a new last argument, so calls with 30 and 31 arguments
-- (orders_place) and 8 and 9 (cart_take_lines) resolve to different functions: a process of
-- the previous release keeps its call and its check during a rolling deploy. A later release
-- may drop the old ones once no such process can be running. A null time matches any line.

CREATE FUNCTION cart_take_lines(
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
    RETURN jsonb_build_object('outcome', 'changed', 'linesLeft', v_left, 'lastOrderId', v_last_order);
  END IF;

  DELETE FROM "CartItem"
  WHERE "userId" = p_user_id AND ("variantId" = ANY(p_variants) OR "variantId" = ANY(coalesce(p_unavailable, '{}')));
  UPDATE "Cart" SET "updatedAt" = p_now, "lastOrderId" = p_order_id WHERE "userId" = p_user_id;
  RETURN jsonb_build_object('outcome', 'removed');
END
$$;

CREATE FUNCTION orders_place(
  p_order_id text,
  p_user_id text,
  p_status text,
  p_currency text,
  p_total_amount int,
  p_idempotency_key text,
  p_request_hash text,
  p_reservation_id text,
  p_now timestamp(3),
  p_items jsonb,
  p_status_change_id text,
  p_payment_id text,
  p_payment_amount int,
  p_payment_currency text,
  p_events jsonb,
  p_cart_variants text[],
  p_cart_quantities int[],
  p_cart_amounts int[],
  p_cart_currencies text[],
  p_cart_unavailable text[],
  p_subtotal_amount int,
  p_discount_amount int,
  p_shipping_amount int,
  p_tax_amount int,
  p_shipping_address jsonb,
  p_shipping_method jsonb,
  p_coupon_id text,
  p_coupon_code text,
  p_options_hash text,
  p_payment_method text,
  p_cart_added_at timestamp(3)[]
) RETURNS jsonb
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_cart jsonb;
  v_coupon_problem text;
BEGIN
  -- Archived orders are deleted here and kept in the directory: their id must not come back live.
  IF EXISTS (SELECT 1 FROM "ArchivedOrder" WHERE id = p_order_id) THEN
    RETURN jsonb_build_object('outcome', 'archived');
  END IF;
  IF p_coupon_id IS NOT NULL THEN
    v_coupon_problem := coupon_check_redeemable(p_coupon_id, p_user_id, p_now);
    IF v_coupon_problem IS NOT NULL THEN
      RETURN jsonb_build_object('outcome', 'coupon', 'reason', v_coupon_problem);
    END IF;
  END IF;
  v_cart := cart_take_lines(p_user_id, p_order_id, p_cart_variants, p_cart_quantities, p_cart_amounts, p_cart_currencies, p_cart_unavailable, p_now, p_cart_added_at);
  IF v_cart->>'outcome' <> 'removed' THEN
    RETURN v_cart;
  END IF;

  -- The locator first: an id taken by any customer fails here, before any partition is written.
  INSERT INTO "OrderLocator" (id, "userId") VALUES (p_order_id, p_user_id);
  INSERT INTO "Order" (id, "userId", status, currency, "totalAmount", "idempotencyKey", "requestHash", "reservationId", "createdAt", "updatedAt",
                       "subtotalAmount", "discountAmount", "shippingAmount", "taxAmount", "shippingAddress", "shippingMethod", "couponCode", "optionsHash")
  VALUES (p_order_id, p_user_id, p_status::"OrderStatus", p_currency, p_total_amount, p_idempotency_key, p_request_hash, p_reservation_id, p_now, p_now,
          p_subtotal_amount, p_discount_amount, p_shipping_amount, p_tax_amount, p_shipping_address, p_shipping_method, p_coupon_code, p_options_hash);
  INSERT INTO "OrderItem" ("orderId", "userId", "variantId", "productId", name, sku, "variantTitle", options, quantity, "unitAmount", "discountAmount", "taxAmount")
  SELECT p_order_id, p_user_id, item."variantId", item."productId", item.name, item.sku, item."variantTitle", item.options, item.quantity, item."unitAmount", item."discountAmount", item."taxAmount"
  FROM jsonb_to_recordset(p_items) AS item("variantId" text, "productId" text, name text, sku text, "variantTitle" text, options jsonb, quantity int, "unitAmount" int, "discountAmount" int, "taxAmount" int);
  INSERT INTO "OrderStatusChange" (id, "orderId", "userId", "from", "to", reason, at)
  VALUES (p_status_change_id, p_order_id, p_user_id, NULL, p_status::"OrderStatus", NULL, p_now);
  INSERT INTO "Payment" (id, "orderId", "userId", status, amount, currency, attempts, "createdAt", "updatedAt", "paymentMethod")
  VALUES (p_payment_id, p_order_id, p_user_id, 'PENDING', p_payment_amount, p_payment_currency, 0, p_now, p_now, p_payment_method);
  INSERT INTO "OutboxEvent" (id, topic, key, type, payload, "occurredAt")
  SELECT event.id, event.topic, event.key, event.type, event.payload, event."occurredAt"
  FROM jsonb_to_recordset(p_events) AS event(id text, topic text, key text, type text, payload jsonb, "occurredAt" timestamp(3));
  IF p_coupon_id IS NOT NULL THEN
    PERFORM coupon_redeem(p_coupon_id, p_user_id, p_order_id, p_now);
  END IF;
  RETURN jsonb_build_object('outcome', 'placed');
END
$$;
