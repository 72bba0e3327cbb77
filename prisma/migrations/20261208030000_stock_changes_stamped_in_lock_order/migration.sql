-- A stock change is stamped, under its level's row lock, with the caller's time but always after
-- the level's previous change ("updatedAt" + 1 ms at least), and its StockChanged event carries
-- that time. The caller reads its clock before it waits for the row (a hot variant in a sale, a
-- replica whose clock runs behind), so two changes of one variant could be made in one order and
-- stamped in the other: the outbox relay, which publishes by event time, then sent a give-back
-- before the sale it followed, and the listings (which keep the in-stock flag of the latest
-- event) showed the variant sold out while it had units on sale, until its stock next crossed
-- zero. The ledger's own statements (stock-ledger-statements.ts: changeTime) stamp the same way.
-- Same signatures: a process of the previous release calls them as before.

CREATE OR REPLACE FUNCTION inventory_reserve(
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
  v_at timestamp(3);
BEGIN
  -- The mirror fence, shared with every other stock change; a mirror rebuild takes it
  -- exclusively (the key is the one in stock-ledger-statements.ts).
  PERFORM pg_advisory_xact_lock_shared(7340131);
  -- One id's reservations one at a time (two tabs, a retry racing its first call): without it
  -- the second reads no reservation, waits on the first's row locks, and then finds the stock
  -- its own id took. Two-key form, class 7340132, so it never meets the one-key fence; ids
  -- whose hashes collide merely wait for each other.
  PERFORM pg_advisory_xact_lock(7340132, hashtext(p_reservation_id));
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
      UPDATE "Reservation" SET "expiresAt" = greatest("expiresAt" + interval '1 millisecond', p_expires_at), "updatedAt" = p_now,
        "liveTries" = "liveTries" + 1 WHERE id = p_reservation_id;
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
    INSERT INTO "Reservation" (id, status, "expiresAt", "createdAt", "updatedAt", "liveTries")
    VALUES (p_reservation_id, 'HELD', p_expires_at, p_now, p_now, 1)
    ON CONFLICT (id) DO NOTHING;
    IF NOT FOUND THEN
      RETURN jsonb_build_object('outcome', 'existing');
    END IF;
    INSERT INTO "ReservationItem" ("reservationId", "variantId", "productId", quantity)
    SELECT p_reservation_id, item.variant, split_part(item.variant, ':', 1), item.quantity
    FROM unnest(p_variants, p_quantities) AS item(variant, quantity);
  ELSE
    UPDATE "Reservation" SET status = 'HELD', "expiresAt" = p_expires_at, "updatedAt" = p_now, "liveTries" = "liveTries" + 1 WHERE id = p_reservation_id;
  END IF;

  FOR i IN 1 .. array_length(p_variants, 1) LOOP
    UPDATE "StockLevel"
    SET available = available - p_quantities[i], reserved = reserved + p_quantities[i], "updatedAt" = greatest(p_now, "updatedAt" + interval '1 millisecond')
    WHERE "variantId" = p_variants[i] AND available >= p_quantities[i]
    RETURNING available, "updatedAt" INTO v_available, v_at;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'stock of % changed under its row lock', p_variants[i];
    END IF;
    v_left := v_left || v_available;
    INSERT INTO "OutboxEvent" (id, topic, key, type, payload, "occurredAt")
    VALUES (p_event_ids[i], p_event_topic, split_part(p_variants[i], ':', 1), p_event_type,
            jsonb_build_object('variantId', p_variants[i], 'productId', split_part(p_variants[i], ':', 1), 'available', v_available,
                               'delta', -p_quantities[i]), v_at);
  END LOOP;

  RETURN jsonb_build_object('outcome', 'reserved', 'epoch', coalesce(v_epoch, 'none'), 'available', to_jsonb(v_left));
END
$$;

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
  v_at timestamp(3);
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
      UPDATE "StockLevel" SET reserved = reserved - v_item.quantity, "updatedAt" = greatest(p_now, "updatedAt" + interval '1 millisecond') WHERE "variantId" = v_item.variant;
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
      UPDATE "StockLevel" SET available = available - v_item.quantity, "updatedAt" = greatest(p_now, "updatedAt" + interval '1 millisecond')
      WHERE "variantId" = v_item.variant AND available >= v_item.quantity
      RETURNING available, "updatedAt" INTO v_available, v_at;
      IF NOT FOUND THEN
        RAISE EXCEPTION 'stock of % changed under its row lock', v_item.variant;
      END IF;
      v_left := v_left || v_available;
      INSERT INTO "OutboxEvent" (id, topic, key, type, payload, "occurredAt")
      VALUES (gen_random_uuid()::text, p_event_topic, split_part(v_item.variant, ':', 1), p_event_type,
              jsonb_build_object('variantId', v_item.variant, 'productId', split_part(v_item.variant, ':', 1), 'available', v_available,
                                 'delta', -v_item.quantity), v_at);
    END LOOP;
  END IF;

  UPDATE "Reservation" SET status = 'COMMITTED', "updatedAt" = p_now WHERE id = p_reservation_id;
  RETURN jsonb_build_object('outcome', 'committed', 'status', v_status, 'expiresAt', v_expires_at, 'items', v_items, 'epoch', v_epoch, 'available', to_jsonb(v_left));
END
$$;
