-- Hand-written: a reservation's commit (payment succeeded) in one round trip, as
-- inventory_reserve does for the hold: before, a transaction of nine statements or more
-- (fence, lock, read, epoch, one UPDATE per item, status).
--
-- What it does, from the reservation's status (as StockLedger.commit states it):
--   HELD                -> the units leave `reserved` (sold; `available` does not move) and it
--                          is COMMITTED; "committed" with no availability change;
--   COMMITTED           -> nothing changes; "committed";
--   EXPIRED or RELEASED -> its units went back: the same items are taken from `available`
--                          again, all or nothing, straight into the sale (StockChanged events
--                          in the outbox), and it is COMMITTED; or "short" naming the first
--                          product without enough units, with nothing changed;
--   no such id          -> "unknown".
--
-- The mirror fence and epoch as every stock change: the shared advisory lock (a rebuild takes
-- it exclusively; the key is the one in stock-ledger-statements.ts), then the epoch, read in a
-- later statement so a rebuild that held the fence is visible.
--
-- Lock order: the reservation's row, then the stock rows in product-id order (byte order, the
-- order the service sorts product ids in), as reserve, release and the sweeper take them, so
-- none of them can deadlock with this.
--
-- Result: {"outcome": "committed" | "short" | "unknown", "status": the status found,
-- "expiresAt", "items": [{productId, quantity}] in lock order, "epoch", "available": units left
-- per item when they were taken again (else []), "productId" and "available" when short}.
CREATE FUNCTION inventory_commit(
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
  SELECT coalesce(jsonb_agg(jsonb_build_object('productId', "productId", 'quantity', quantity) ORDER BY "productId" COLLATE "C"), '[]')
  INTO v_items FROM "ReservationItem" WHERE "reservationId" = p_reservation_id;

  IF v_status = 'COMMITTED' THEN
    RETURN jsonb_build_object('outcome', 'committed', 'status', v_status, 'expiresAt', v_expires_at, 'items', v_items, 'epoch', v_epoch, 'available', '[]'::jsonb);
  END IF;

  IF v_status = 'HELD' THEN
    FOR v_item IN SELECT "productId" AS product, quantity FROM "ReservationItem" WHERE "reservationId" = p_reservation_id ORDER BY "productId" COLLATE "C" LOOP
      UPDATE "StockLevel" SET reserved = reserved - v_item.quantity, "updatedAt" = p_now WHERE "productId" = v_item.product;
    END LOOP;
  ELSE
    -- EXPIRED or RELEASED: lock every row and check it before changing anything (all or nothing).
    FOR v_item IN SELECT "productId" AS product, quantity FROM "ReservationItem" WHERE "reservationId" = p_reservation_id ORDER BY "productId" COLLATE "C" LOOP
      SELECT available INTO v_available FROM "StockLevel" WHERE "productId" = v_item.product FOR UPDATE;
      IF coalesce(v_available, -1) < v_item.quantity THEN
        RETURN jsonb_build_object('outcome', 'short', 'status', v_status, 'expiresAt', v_expires_at, 'items', v_items, 'epoch', v_epoch,
                                  'productId', v_item.product, 'available', coalesce(v_available, 0));
      END IF;
    END LOOP;
    FOR v_item IN SELECT "productId" AS product, quantity FROM "ReservationItem" WHERE "reservationId" = p_reservation_id ORDER BY "productId" COLLATE "C" LOOP
      -- Still conditional: the CHECK constraints and this WHERE are the last word, not the check above.
      UPDATE "StockLevel" SET available = available - v_item.quantity, "updatedAt" = p_now
      WHERE "productId" = v_item.product AND available >= v_item.quantity
      RETURNING available INTO v_available;
      IF NOT FOUND THEN
        RAISE EXCEPTION 'stock of % changed under its row lock', v_item.product;
      END IF;
      v_left := v_left || v_available;
      INSERT INTO "OutboxEvent" (id, topic, key, type, payload, "occurredAt")
      VALUES (gen_random_uuid()::text, p_event_topic, v_item.product, p_event_type,
              jsonb_build_object('productId', v_item.product, 'available', v_available), p_now);
    END LOOP;
  END IF;

  UPDATE "Reservation" SET status = 'COMMITTED', "updatedAt" = p_now WHERE id = p_reservation_id;
  RETURN jsonb_build_object('outcome', 'committed', 'status', v_status, 'expiresAt', v_expires_at, 'items', v_items, 'epoch', v_epoch, 'available', to_jsonb(v_left));
END
$$;
