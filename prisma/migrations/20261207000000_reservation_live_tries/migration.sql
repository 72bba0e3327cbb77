-- A hold counts the checkout tries of its id that reserved it and have not left it: every
-- reserve that leaves the id HELD counts one in (a new hold, a refresh, an ended hold taken
-- again: tries of the ended hold may still be live, so the count goes on rather than restarting);
-- a refused try counts itself out (inventory release with `leaving`), and the last one out gives
-- the hold back at once. Two tabs of one key both refused used to leave the hold to each other,
-- freed only by a second look a minute later. A try that placed its order never leaves, and one
-- that died never does: their holds stay, as before, to the order or to the second look.
-- Holds from before the count are NULL (their tries were never counted), and NULL stays NULL.

ALTER TABLE "Reservation" ADD COLUMN "liveTries" INTEGER;

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
    SET available = available - p_quantities[i], reserved = reserved + p_quantities[i], "updatedAt" = p_now
    WHERE "variantId" = p_variants[i] AND available >= p_quantities[i]
    RETURNING available INTO v_available;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'stock of % changed under its row lock', p_variants[i];
    END IF;
    v_left := v_left || v_available;
    INSERT INTO "OutboxEvent" (id, topic, key, type, payload, "occurredAt")
    VALUES (p_event_ids[i], p_event_topic, split_part(p_variants[i], ':', 1), p_event_type,
            jsonb_build_object('variantId', p_variants[i], 'productId', split_part(p_variants[i], ':', 1), 'available', v_available,
                               'delta', -p_quantities[i]), p_now);
  END LOOP;

  RETURN jsonb_build_object('outcome', 'reserved', 'epoch', coalesce(v_epoch, 'none'), 'available', to_jsonb(v_left));
END
$$;
