-- Hand-written: the inventory's reservation, all in one round trip.
--
-- Why a function: a reservation is a handful of statements (fence, epoch, lock and check
-- every item, insert, update, announce) that must run in one transaction. Sent one by one
-- they cost a network round trip each and keep a hot product's row locked across all of
-- them; here the row lock lasts only while the server runs the body. The rules are the
-- ones the inventory's ledger port states; its contract suite runs against this function.
--
-- Returns one of:
--   {"outcome": "reserved", "epoch": "...", "available": [units left per item]}
--   {"outcome": "existing"}                                   (the id is taken; nothing changed)
--   {"outcome": "short", "productId": "...", "available": n}  (nothing changed)
--   {"outcome": "unknown", "productId": "..."}                (no stock row; nothing changed)
-- Items must come in the order rows are locked in (product id), each product once.
CREATE FUNCTION inventory_reserve(
  p_reservation_id text,
  p_products text[],
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
BEGIN
  -- The mirror fence, shared with every other stock change; a mirror rebuild takes it
  -- exclusively (the key is the one in stock-ledger-statements.ts).
  PERFORM pg_advisory_xact_lock_shared(7340131);
  -- A new statement takes a new snapshot: the epoch of a rebuild that held the fence is visible.
  SELECT epoch INTO v_epoch FROM "StockMirrorEpoch" WHERE id = 1;

  -- Lock every row (in the caller's order: no deadlocks) and check it before changing anything.
  FOR i IN 1 .. array_length(p_products, 1) LOOP
    SELECT available INTO v_available FROM "StockLevel" WHERE "productId" = p_products[i] FOR UPDATE;
    IF NOT FOUND THEN
      RETURN jsonb_build_object('outcome', 'unknown', 'productId', p_products[i]);
    END IF;
    IF v_available < p_quantities[i] THEN
      RETURN jsonb_build_object('outcome', 'short', 'productId', p_products[i], 'available', v_available);
    END IF;
  END LOOP;

  INSERT INTO "Reservation" (id, status, "expiresAt", "createdAt", "updatedAt")
  VALUES (p_reservation_id, 'HELD', p_expires_at, p_now, p_now)
  ON CONFLICT (id) DO NOTHING;
  IF NOT FOUND THEN
    RETURN jsonb_build_object('outcome', 'existing');
  END IF;
  INSERT INTO "ReservationItem" ("reservationId", "productId", quantity)
  SELECT p_reservation_id, item.product, item.quantity FROM unnest(p_products, p_quantities) AS item(product, quantity);

  FOR i IN 1 .. array_length(p_products, 1) LOOP
    -- Still conditional: the CHECK constraints and this WHERE are the last word, not the check above.
    UPDATE "StockLevel"
    SET available = available - p_quantities[i], reserved = reserved + p_quantities[i], "updatedAt" = p_now
    WHERE "productId" = p_products[i] AND available >= p_quantities[i]
    RETURNING available INTO v_available;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'stock of % changed under its row lock', p_products[i];
    END IF;
    v_left := v_left || v_available;
    INSERT INTO "OutboxEvent" (id, topic, key, type, payload, "occurredAt")
    VALUES (p_event_ids[i], p_event_topic, p_products[i], p_event_type,
            jsonb_build_object('productId', p_products[i], 'available', v_available), p_now);
  END LOOP;

  RETURN jsonb_build_object('outcome', 'reserved', 'epoch', coalesce(v_epoch, 'none'), 'available', to_jsonb(v_left));
END
$$;
