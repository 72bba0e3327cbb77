-- Hand-written: checkout's order placement in one statement (one round trip, one implicit
-- transaction) instead of a Prisma transaction of a dozen: the cart's lines leave
-- (cart_take_lines, the cart's own function), then the order, its lines, its first status
-- change, its payment and its outbox events are written.
--
-- The guarantees are those of OrderStore.place:
-- - one order per cart: the cart comes first (its row lock queues every checkout of the cart)
--   and a cart that no longer holds every priced line answers "changed" before anything is
--   written, so of concurrent placements for one cart, whatever their keys, one commits;
-- - one order per (user, idempotency key): the Order insert raises unique_violation (on the
--   key, or on the id derived from it), which rolls the whole statement back, the cart's
--   removal included; the caller reads it as "key taken";
-- - the events are written with the change they announce, so they exist exactly when it commits.
--
-- p_events: a JSON array of {id, topic, key, type, payload, occurredAt} (occurredAt in UTC,
-- as every timestamp(3) column here).
-- Result: {"outcome": "placed"} or cart_take_lines' {"outcome": "changed", ...}.
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
  p_item_products text[],
  p_item_names text[],
  p_item_quantities int[],
  p_item_amounts int[],
  p_status_change_id text,
  p_payment_id text,
  p_payment_amount int,
  p_payment_currency text,
  p_events jsonb,
  p_cart_products text[],
  p_cart_quantities int[],
  p_cart_amounts int[],
  p_cart_currencies text[],
  p_cart_unavailable text[]
) RETURNS jsonb
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_cart jsonb;
BEGIN
  v_cart := cart_take_lines(p_user_id, p_order_id, p_cart_products, p_cart_quantities, p_cart_amounts, p_cart_currencies, p_cart_unavailable, p_now);
  IF v_cart->>'outcome' <> 'removed' THEN
    RETURN v_cart;
  END IF;

  INSERT INTO "Order" (id, "userId", status, currency, "totalAmount", "idempotencyKey", "requestHash", "reservationId", "createdAt", "updatedAt")
  VALUES (p_order_id, p_user_id, p_status::"OrderStatus", p_currency, p_total_amount, p_idempotency_key, p_request_hash, p_reservation_id, p_now, p_now);
  INSERT INTO "OrderItem" ("orderId", "productId", name, quantity, "unitAmount")
  SELECT p_order_id, item.product, item.name, item.quantity, item.amount
  FROM unnest(p_item_products, p_item_names, p_item_quantities, p_item_amounts) AS item(product, name, quantity, amount);
  INSERT INTO "OrderStatusChange" (id, "orderId", "from", "to", reason, at)
  VALUES (p_status_change_id, p_order_id, NULL, p_status::"OrderStatus", NULL, p_now);
  INSERT INTO "Payment" (id, "orderId", "userId", status, amount, currency, attempts, "createdAt", "updatedAt")
  VALUES (p_payment_id, p_order_id, p_user_id, 'PENDING', p_payment_amount, p_payment_currency, 0, p_now, p_now);
  INSERT INTO "OutboxEvent" (id, topic, key, type, payload, "occurredAt")
  SELECT event.id, event.topic, event.key, event.type, event.payload, event."occurredAt"
  FROM jsonb_to_recordset(p_events) AS event(id text, topic text, key text, type text, payload jsonb, "occurredAt" timestamp(3));
  RETURN jsonb_build_object('outcome', 'placed');
END
$$;
