-- Hand-written: stock, reservations, cart lines and order lines are kept per product variant.
--
-- Every row keyed by a product id before variants existed names that product's default
-- variant, whose id IS the product id (kernel/src/catalog/variant-id.ts), so the key columns
-- are renamed, not rewritten: values, primary keys, CHECK constraints and held reservations
-- carry over unchanged. Each table also keeps the variant's product id (the part of the
-- variant id before the first ':'), backfilled here: Product.stock sums stock rows by it, and
-- reports read carts and reservations by product without parsing ids.
--
-- The functions that named the old columns (inventory_reserve, inventory_commit,
-- cart_take_lines, orders_place) are re-created below in the same transaction, so no
-- statement ever runs against a function and a table that disagree.

-- ---------- stock ----------
ALTER TABLE "StockLevel" RENAME COLUMN "productId" TO "variantId";
ALTER TABLE "StockLevel" ADD COLUMN "productId" TEXT;
UPDATE "StockLevel" SET "productId" = split_part("variantId", ':', 1);
ALTER TABLE "StockLevel" ALTER COLUMN "productId" SET NOT NULL;
CREATE INDEX "StockLevel_productId_idx" ON "StockLevel"("productId");

-- ---------- reservations ----------
ALTER TABLE "ReservationItem" RENAME COLUMN "productId" TO "variantId";
ALTER TABLE "ReservationItem" ADD COLUMN "productId" TEXT;
UPDATE "ReservationItem" SET "productId" = split_part("variantId", ':', 1);
ALTER TABLE "ReservationItem" ALTER COLUMN "productId" SET NOT NULL;

-- ---------- cart ----------
ALTER TABLE "CartItem" RENAME COLUMN "productId" TO "variantId";
ALTER TABLE "CartItem" ADD COLUMN "productId" TEXT;
UPDATE "CartItem" SET "productId" = split_part("variantId", ':', 1);
ALTER TABLE "CartItem" ALTER COLUMN "productId" SET NOT NULL;

-- ---------- orders ----------
-- Lines bought before variants existed bought the default variant: its id is the product id
-- and its title the product's name (the name snapshot). The catalog's SKU is not in this
-- database; the product id stands for it, as unique and as stable.
ALTER TABLE "OrderItem" ADD COLUMN "variantId" TEXT;
ALTER TABLE "OrderItem" ADD COLUMN "sku" TEXT;
ALTER TABLE "OrderItem" ADD COLUMN "variantTitle" TEXT;
ALTER TABLE "OrderItem" ADD COLUMN "options" JSONB NOT NULL DEFAULT '[]';
UPDATE "OrderItem" SET "variantId" = "productId", "sku" = "productId", "variantTitle" = name;
ALTER TABLE "OrderItem" ALTER COLUMN "variantId" SET NOT NULL;
ALTER TABLE "OrderItem" ALTER COLUMN "sku" SET NOT NULL;
ALTER TABLE "OrderItem" ALTER COLUMN "variantTitle" SET NOT NULL;
-- Two variants of one product are two lines of one order.
ALTER TABLE "OrderItem" DROP CONSTRAINT "OrderItem_pkey";
ALTER TABLE "OrderItem" ADD CONSTRAINT "OrderItem_pkey" PRIMARY KEY ("orderId", "variantId");

-- ---------- functions ----------
-- The same behaviour as the versions they replace (see 20261202213432, 20261202223524,
-- 20261202222720 and 20261202222800); what changed: stock, reservation items and cart lines
-- are named by variant id; StockChanged events carry variantId and productId and stay keyed
-- by product id (the gateway's response cache drops a product's answers by that key, and one
-- product's events keep their order); order lines take variant, SKU, title and options.

DROP FUNCTION inventory_reserve(text, text[], int[], timestamp(3), timestamp(3), text[], text, text);
CREATE FUNCTION inventory_reserve(
  p_reservation_id text,
  p_variants text[],
  p_quantities int[],
  p_expires_at timestamp(3),
  p_now timestamp(3),
  p_event_ids text[],
  p_event_topic text,
  p_event_type text
) RETURNS jsonb
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_epoch text;
  v_available int;
  v_left int[] := '{}';
  v_status "ReservationStatus";
  v_same_items boolean;
BEGIN
  -- The mirror fence, shared with every other stock change; a mirror rebuild takes it
  -- exclusively (the key is the one in stock-ledger-statements.ts).
  PERFORM pg_advisory_xact_lock_shared(7340131);
  SELECT epoch INTO v_epoch FROM "StockMirrorEpoch" WHERE id = 1;

  SELECT status INTO v_status FROM "Reservation" WHERE id = p_reservation_id FOR UPDATE;
  IF FOUND THEN
    SELECT count(*) = array_length(p_variants, 1) AND count(*) = count(item.variant) INTO v_same_items
    FROM "ReservationItem" stored
    LEFT JOIN unnest(p_variants, p_quantities) AS item(variant, quantity)
      ON item.variant = stored."variantId" AND item.quantity = stored.quantity
    WHERE stored."reservationId" = p_reservation_id;
    IF NOT v_same_items OR v_status = 'COMMITTED' THEN
      RETURN jsonb_build_object('outcome', 'existing');
    END IF;
    IF v_status = 'HELD' THEN
      UPDATE "Reservation" SET "expiresAt" = greatest("expiresAt", p_expires_at), "updatedAt" = p_now WHERE id = p_reservation_id;
      RETURN jsonb_build_object('outcome', 'existing');
    END IF;
  END IF;

  -- Lock every row (in the caller's order: no deadlocks) and check it before changing anything.
  FOR i IN 1 .. array_length(p_variants, 1) LOOP
    SELECT available INTO v_available FROM "StockLevel" WHERE "variantId" = p_variants[i] FOR UPDATE;
    IF NOT FOUND THEN
      RETURN jsonb_build_object('outcome', 'unknown', 'variantId', p_variants[i]);
    END IF;
    IF v_available < p_quantities[i] THEN
      RETURN jsonb_build_object('outcome', 'short', 'variantId', p_variants[i], 'available', v_available);
    END IF;
  END LOOP;

  IF v_status IS NULL THEN
    INSERT INTO "Reservation" (id, status, "expiresAt", "createdAt", "updatedAt")
    VALUES (p_reservation_id, 'HELD', p_expires_at, p_now, p_now)
    ON CONFLICT (id) DO NOTHING;
    IF NOT FOUND THEN
      RETURN jsonb_build_object('outcome', 'existing');
    END IF;
    INSERT INTO "ReservationItem" ("reservationId", "variantId", "productId", quantity)
    SELECT p_reservation_id, item.variant, split_part(item.variant, ':', 1), item.quantity
    FROM unnest(p_variants, p_quantities) AS item(variant, quantity);
  ELSE
    UPDATE "Reservation" SET status = 'HELD', "expiresAt" = p_expires_at, "updatedAt" = p_now WHERE id = p_reservation_id;
  END IF;

  FOR i IN 1 .. array_length(p_variants, 1) LOOP
    UPDATE "StockLevel"
    SET available = available - p_quantities[i], reserved = reserved + p_quantities[i], "updatedAt" = p_now
    WHERE "variantId" = p_variants[i] AND available >= p_quantities[i]
    RETURNING available INTO v_available;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'stock of % changed under its row lock', p_variants[i];
    END IF;
    v_left := v_left || v_available;
    INSERT INTO "OutboxEvent" (id, topic, key, type, payload, "occurredAt")
    VALUES (p_event_ids[i], p_event_topic, split_part(p_variants[i], ':', 1), p_event_type,
            jsonb_build_object('variantId', p_variants[i], 'productId', split_part(p_variants[i], ':', 1), 'available', v_available), p_now);
  END LOOP;

  RETURN jsonb_build_object('outcome', 'reserved', 'epoch', coalesce(v_epoch, 'none'), 'available', to_jsonb(v_left));
END
$$;

-- Result items are [{variantId, quantity}] in lock order (byte order of the variant id).
CREATE OR REPLACE FUNCTION inventory_commit(
  p_reservation_id text,
  p_now timestamp(3),
  p_event_topic text,
  p_event_type text
) RETURNS jsonb
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_epoch text;
  v_status "ReservationStatus";
  v_expires_at timestamp(3);
  v_items jsonb;
  v_item record;
  v_available int;
  v_left int[] := '{}';
BEGIN
  PERFORM pg_advisory_xact_lock_shared(7340131);
  SELECT epoch INTO v_epoch FROM "StockMirrorEpoch" WHERE id = 1;
  v_epoch := coalesce(v_epoch, 'none');

  SELECT status, "expiresAt" INTO v_status, v_expires_at FROM "Reservation" WHERE id = p_reservation_id FOR UPDATE;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('outcome', 'unknown');
  END IF;
  SELECT coalesce(jsonb_agg(jsonb_build_object('variantId', "variantId", 'quantity', quantity) ORDER BY "variantId" COLLATE "C"), '[]')
  INTO v_items FROM "ReservationItem" WHERE "reservationId" = p_reservation_id;

  IF v_status = 'COMMITTED' THEN
    RETURN jsonb_build_object('outcome', 'committed', 'status', v_status, 'expiresAt', v_expires_at, 'items', v_items, 'epoch', v_epoch, 'available', '[]'::jsonb);
  END IF;

  IF v_status = 'HELD' THEN
    FOR v_item IN SELECT "variantId" AS variant, quantity FROM "ReservationItem" WHERE "reservationId" = p_reservation_id ORDER BY "variantId" COLLATE "C" LOOP
      UPDATE "StockLevel" SET reserved = reserved - v_item.quantity, "updatedAt" = p_now WHERE "variantId" = v_item.variant;
    END LOOP;
  ELSE
    FOR v_item IN SELECT "variantId" AS variant, quantity FROM "ReservationItem" WHERE "reservationId" = p_reservation_id ORDER BY "variantId" COLLATE "C" LOOP
      SELECT available INTO v_available FROM "StockLevel" WHERE "variantId" = v_item.variant FOR UPDATE;
      IF coalesce(v_available, -1) < v_item.quantity THEN
        RETURN jsonb_build_object('outcome', 'short', 'status', v_status, 'expiresAt', v_expires_at, 'items', v_items, 'epoch', v_epoch,
                                  'variantId', v_item.variant, 'available', coalesce(v_available, 0));
      END IF;
    END LOOP;
    FOR v_item IN SELECT "variantId" AS variant, quantity FROM "ReservationItem" WHERE "reservationId" = p_reservation_id ORDER BY "variantId" COLLATE "C" LOOP
      UPDATE "StockLevel" SET available = available - v_item.quantity, "updatedAt" = p_now
      WHERE "variantId" = v_item.variant AND available >= v_item.quantity
      RETURNING available INTO v_available;
      IF NOT FOUND THEN
        RAISE EXCEPTION 'stock of % changed under its row lock', v_item.variant;
      END IF;
      v_left := v_left || v_available;
      INSERT INTO "OutboxEvent" (id, topic, key, type, payload, "occurredAt")
      VALUES (gen_random_uuid()::text, p_event_topic, split_part(v_item.variant, ':', 1), p_event_type,
              jsonb_build_object('variantId', v_item.variant, 'productId', split_part(v_item.variant, ':', 1), 'available', v_available), p_now);
    END LOOP;
  END IF;

  UPDATE "Reservation" SET status = 'COMMITTED', "updatedAt" = p_now WHERE id = p_reservation_id;
  RETURN jsonb_build_object('outcome', 'committed', 'status', v_status, 'expiresAt', v_expires_at, 'items', v_items, 'epoch', v_epoch, 'available', to_jsonb(v_left));
END
$$;

-- Lines are named by variant id (p_variants, p_unavailable); otherwise as before.
DROP FUNCTION orders_place(text, text, text, text, int, text, text, text, timestamp(3), text[], text[], int[], int[], text, text, int, text, jsonb, text[], int[], int[], text[], text[]);
DROP FUNCTION cart_take_lines(text, text, text[], int[], int[], text[], text[], timestamp(3));
CREATE FUNCTION cart_take_lines(
  p_user_id text,
  p_order_id text,
  p_variants text[],
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
    JOIN unnest(p_variants, p_quantities, p_amounts, p_currencies) AS priced(variant, quantity, amount, currency)
      ON line."variantId" = priced.variant AND line.quantity = priced.quantity
     AND line."unitAmount" = priced.amount AND line.currency = priced.currency
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

-- p_items: a JSON array of {variantId, productId, name, sku, variantTitle, options, quantity,
-- unitAmount}, one object per line (a line's snapshot grew past what parallel arrays read well).
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
  p_cart_unavailable text[]
) RETURNS jsonb
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_cart jsonb;
BEGIN
  v_cart := cart_take_lines(p_user_id, p_order_id, p_cart_variants, p_cart_quantities, p_cart_amounts, p_cart_currencies, p_cart_unavailable, p_now);
  IF v_cart->>'outcome' <> 'removed' THEN
    RETURN v_cart;
  END IF;

  INSERT INTO "Order" (id, "userId", status, currency, "totalAmount", "idempotencyKey", "requestHash", "reservationId", "createdAt", "updatedAt")
  VALUES (p_order_id, p_user_id, p_status::"OrderStatus", p_currency, p_total_amount, p_idempotency_key, p_request_hash, p_reservation_id, p_now, p_now);
  INSERT INTO "OrderItem" ("orderId", "variantId", "productId", name, sku, "variantTitle", options, quantity, "unitAmount")
  SELECT p_order_id, item."variantId", item."productId", item.name, item.sku, item."variantTitle", item.options, item.quantity, item."unitAmount"
  FROM jsonb_to_recordset(p_items) AS item("variantId" text, "productId" text, name text, sku text, "variantTitle" text, options jsonb, quantity int, "unitAmount" int);
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
