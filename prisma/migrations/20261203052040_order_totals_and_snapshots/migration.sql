-- An order's totals and snapshots of its address, shipping method and coupon; orders_place
-- takes them and redeems the coupon in the same statement; a cancelled order or a failed
-- payment gives its coupon use back.
--
-- Orders placed before this change keep their total as their subtotal, with no discount,
-- shipping or tax, and no address or shipping snapshot (NULL: "not recorded").

-- ---------- orders ----------
ALTER TABLE "Order" ADD COLUMN "subtotalAmount" INTEGER,
ADD COLUMN "discountAmount" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN "shippingAmount" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN "taxAmount" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN "shippingAddress" JSONB,
ADD COLUMN "shippingMethod" JSONB,
ADD COLUMN "couponCode" TEXT,
ADD COLUMN "optionsHash" TEXT;
UPDATE "Order" SET "subtotalAmount" = "totalAmount";
ALTER TABLE "Order" ALTER COLUMN "subtotalAmount" SET NOT NULL;

-- ---------- functions ----------

-- A cancelled order or a failed payment gives its coupon use back, once, in the transaction
-- of the status change, whichever code path makes it.
CREATE FUNCTION coupon_release_on_order_end() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  WITH released AS (
    UPDATE "CouponRedemption" SET "releasedAt" = now() WHERE "orderId" = NEW.id AND "releasedAt" IS NULL RETURNING "couponId"
  )
  UPDATE "Coupon" SET "redeemedCount" = "redeemedCount" - 1 WHERE id IN (SELECT "couponId" FROM released);
  RETURN NEW;
END
$$;
CREATE TRIGGER "Order_coupon_release" AFTER UPDATE OF status ON "Order"
FOR EACH ROW WHEN (NEW.status::text IN ('CANCELLED', 'PAYMENT_FAILED') AND OLD.status IS DISTINCT FROM NEW.status)
EXECUTE FUNCTION coupon_release_on_order_end();

-- orders_place as before, plus the totals, the snapshots and the coupon: p_coupon_id (or NULL)
-- is checked first (its row lock orders concurrent checkouts with one coupon), then the cart's
-- lines are taken, then the redemption is written, all in this one statement. Outcomes:
-- placed, changed (the cart's, as before) or coupon (with the reason; nothing written).
DROP FUNCTION orders_place(text, text, text, text, int, text, text, text, timestamp(3), jsonb, text, text, int, text, jsonb, text[], int[], int[], text[], text[]);
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
  p_options_hash text
) RETURNS jsonb
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_cart jsonb;
  v_coupon_problem text;
BEGIN
  IF p_coupon_id IS NOT NULL THEN
    v_coupon_problem := coupon_check_redeemable(p_coupon_id, p_user_id, p_now);
    IF v_coupon_problem IS NOT NULL THEN
      RETURN jsonb_build_object('outcome', 'coupon', 'reason', v_coupon_problem);
    END IF;
  END IF;
  v_cart := cart_take_lines(p_user_id, p_order_id, p_cart_variants, p_cart_quantities, p_cart_amounts, p_cart_currencies, p_cart_unavailable, p_now);
  IF v_cart->>'outcome' <> 'removed' THEN
    RETURN v_cart;
  END IF;

  INSERT INTO "Order" (id, "userId", status, currency, "totalAmount", "idempotencyKey", "requestHash", "reservationId", "createdAt", "updatedAt",
                       "subtotalAmount", "discountAmount", "shippingAmount", "taxAmount", "shippingAddress", "shippingMethod", "couponCode", "optionsHash")
  VALUES (p_order_id, p_user_id, p_status::"OrderStatus", p_currency, p_total_amount, p_idempotency_key, p_request_hash, p_reservation_id, p_now, p_now,
          p_subtotal_amount, p_discount_amount, p_shipping_amount, p_tax_amount, p_shipping_address, p_shipping_method, p_coupon_code, p_options_hash);
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
  IF p_coupon_id IS NOT NULL THEN
    PERFORM coupon_redeem(p_coupon_id, p_user_id, p_order_id, p_now);
  END IF;
  RETURN jsonb_build_object('outcome', 'placed');
END
$$;
