-- Hand-written: reserving an id that exists again never answers with a dead hold.
--
-- The reservation id is the order id, derived from (user, idempotency key), so a checkout
-- retried with its key reserves the same id. Before, any existing id answered "existing" with
-- nothing changed: a checkout that crashed between its hold and its order, retried after the
-- sweeper expired that hold, got an EXPIRED reservation back and answered PENDING with no unit
-- held (another customer could take it; the late payment was then refunded). Now:
--   HELD                -> its expiry moves to the new one (never earlier); "existing";
--   EXPIRED or RELEASED -> the same items are taken again, all or nothing, and it is HELD
--                          with the new expiry: "reserved", exactly as a fresh reservation
--                          (units, StockChanged events, mirror epoch), so the Redis mirror
--                          counts it the same way; or "short"/"unknown" with nothing changed;
--   COMMITTED, or other items than the stored ones -> "existing", nothing changed (the
--                          service answers other items with IDEMPOTENCY_CONFLICT).
--
-- Lock order: an existing reservation's row first, then the stock rows in product-id order,
-- as commit, release and the sweeper take them, so none of them can deadlock with this. A new
-- id locks the stock rows first and then inserts its row; a concurrent twin of the same new
-- id does not see the uncommitted row, queues on the first stock row and then finds the id
-- taken (ON CONFLICT), as before.
--
-- Same signature and result shape as the function it replaces (see its migration).
CREATE OR REPLACE FUNCTION inventory_reserve(
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
  v_status "ReservationStatus";
  v_same_items boolean;
BEGIN
  -- The mirror fence, shared with every other stock change; a mirror rebuild takes it
  -- exclusively (the key is the one in stock-ledger-statements.ts).
  PERFORM pg_advisory_xact_lock_shared(7340131);
  -- A new statement takes a new snapshot: the epoch of a rebuild that held the fence is visible.
  SELECT epoch INTO v_epoch FROM "StockMirrorEpoch" WHERE id = 1;

  -- Locked, so concurrent repeats of one id decide one after the other: the first takes an
  -- expired hold again, the next ones find it HELD.
  SELECT status INTO v_status FROM "Reservation" WHERE id = p_reservation_id FOR UPDATE;
  IF FOUND THEN
    -- The same items: as many stored rows as requested products, each matching one of them
    -- (products are unique on both sides).
    SELECT count(*) = array_length(p_products, 1) AND count(*) = count(item.product) INTO v_same_items
    FROM "ReservationItem" stored
    LEFT JOIN unnest(p_products, p_quantities) AS item(product, quantity)
      ON item.product = stored."productId" AND item.quantity = stored.quantity
    WHERE stored."reservationId" = p_reservation_id;
    IF NOT v_same_items OR v_status = 'COMMITTED' THEN
      RETURN jsonb_build_object('outcome', 'existing');
    END IF;
    IF v_status = 'HELD' THEN
      UPDATE "Reservation" SET "expiresAt" = greatest("expiresAt", p_expires_at), "updatedAt" = p_now WHERE id = p_reservation_id;
      RETURN jsonb_build_object('outcome', 'existing');
    END IF;
    -- EXPIRED or RELEASED: its units went back; take them again below.
  END IF;

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

  IF v_status IS NULL THEN
    INSERT INTO "Reservation" (id, status, "expiresAt", "createdAt", "updatedAt")
    VALUES (p_reservation_id, 'HELD', p_expires_at, p_now, p_now)
    ON CONFLICT (id) DO NOTHING;
    IF NOT FOUND THEN
      RETURN jsonb_build_object('outcome', 'existing');
    END IF;
    INSERT INTO "ReservationItem" ("reservationId", "productId", quantity)
    SELECT p_reservation_id, item.product, item.quantity FROM unnest(p_products, p_quantities) AS item(product, quantity);
  ELSE
    UPDATE "Reservation" SET status = 'HELD', "expiresAt" = p_expires_at, "updatedAt" = p_now WHERE id = p_reservation_id;
  END IF;

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
