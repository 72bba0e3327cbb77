-- Live orders hash-partitioned by customer ("userId"): "Order", its lines ("OrderItem") and its
-- status history ("OrderStatusChange"), 16 partitions each, so a customer's orders, lines and
-- history are read from one partition of each, and a partition can later be moved whole to
-- another server (postgres_fdw, see the README) or split in two (modulus 32) without
-- rehashing the others.
--
-- Every unique index of a partitioned table must contain the partition key, so the keys become
-- ("Order".id, "userId"), ("OrderItem"."orderId", "userId", "variantId") and
-- ("OrderStatusChange".id, "userId"); the lines and history store their order's customer.
-- An order id alone is then unique per customer only: "OrderLocator" (id -> customer), an
-- ordinary table written first in the order's transaction, keeps ids unique everywhere and
-- turns a lookup by id into a one-partition read. Refunds and payments, which know only the
-- order id, reference the locator; returns, which know the customer, reference the order.
--
-- Existing rows are moved: the old tables are renamed, their rows copied into the partitioned
-- ones and the old tables dropped, in this migration's one transaction.

ALTER TABLE "OrderItem" DROP CONSTRAINT "OrderItem_orderId_fkey";
ALTER TABLE "OrderStatusChange" DROP CONSTRAINT "OrderStatusChange_orderId_fkey";
ALTER TABLE "Payment" DROP CONSTRAINT "Payment_orderId_fkey";
ALTER TABLE "Refund" DROP CONSTRAINT "Refund_orderId_fkey";
ALTER TABLE "Return" DROP CONSTRAINT "Return_orderId_fkey";

ALTER TABLE "Order" RENAME TO "Order_unpartitioned";
ALTER INDEX "Order_pkey" RENAME TO "Order_unpartitioned_pkey";
ALTER INDEX "Order_userId_idempotencyKey_key" RENAME TO "Order_unpartitioned_userId_idempotencyKey_key";
ALTER INDEX "Order_userId_createdAt_idx" RENAME TO "Order_unpartitioned_userId_createdAt_idx";
ALTER INDEX "Order_createdAt_idx" RENAME TO "Order_unpartitioned_createdAt_idx";
ALTER TABLE "OrderItem" RENAME TO "OrderItem_unpartitioned";
ALTER INDEX "OrderItem_pkey" RENAME TO "OrderItem_unpartitioned_pkey";
ALTER TABLE "OrderStatusChange" RENAME TO "OrderStatusChange_unpartitioned";
ALTER INDEX "OrderStatusChange_pkey" RENAME TO "OrderStatusChange_unpartitioned_pkey";
ALTER INDEX "OrderStatusChange_orderId_at_idx" RENAME TO "OrderStatusChange_unpartitioned_orderId_at_idx";

CREATE TABLE "OrderLocator" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    CONSTRAINT "OrderLocator_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "Order" (
    "id" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "status" "OrderStatus" NOT NULL DEFAULT 'PENDING',
    "currency" TEXT NOT NULL,
    "totalAmount" INTEGER NOT NULL,
    "idempotencyKey" TEXT NOT NULL,
    "requestHash" TEXT NOT NULL,
    "reservationId" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "statusReason" TEXT,
    "refundedAmount" INTEGER NOT NULL DEFAULT 0,
    "deliveredAt" TIMESTAMP(3),
    "subtotalAmount" INTEGER NOT NULL,
    "discountAmount" INTEGER NOT NULL DEFAULT 0,
    "shippingAmount" INTEGER NOT NULL DEFAULT 0,
    "taxAmount" INTEGER NOT NULL DEFAULT 0,
    "shippingAddress" JSONB,
    "shippingMethod" JSONB,
    "couponCode" TEXT,
    "optionsHash" TEXT,
    CONSTRAINT "Order_refundedAmount_within_total" CHECK ("refundedAmount" >= 0 AND "refundedAmount" <= "totalAmount"),
    CONSTRAINT "Order_pkey" PRIMARY KEY ("id", "userId")
) PARTITION BY HASH ("userId");

CREATE TABLE "OrderItem" (
    "orderId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "productId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "unitAmount" INTEGER NOT NULL,
    "quantity" INTEGER NOT NULL,
    "variantId" TEXT NOT NULL,
    "sku" TEXT NOT NULL,
    "variantTitle" TEXT NOT NULL,
    "options" JSONB NOT NULL DEFAULT '[]',
    CONSTRAINT "OrderItem_pkey" PRIMARY KEY ("orderId", "userId", "variantId")
) PARTITION BY HASH ("userId");

CREATE TABLE "OrderStatusChange" (
    "id" TEXT NOT NULL,
    "orderId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "from" "OrderStatus",
    "to" "OrderStatus" NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "reason" TEXT,
    CONSTRAINT "OrderStatusChange_pkey" PRIMARY KEY ("id", "userId")
) PARTITION BY HASH ("userId");

DO $$
BEGIN
  FOR remainder IN 0..15 LOOP
    EXECUTE format('CREATE TABLE %I PARTITION OF "Order" FOR VALUES WITH (MODULUS 16, REMAINDER %s)', 'Order_p' || remainder, remainder);
    EXECUTE format('CREATE TABLE %I PARTITION OF "OrderItem" FOR VALUES WITH (MODULUS 16, REMAINDER %s)', 'OrderItem_p' || remainder, remainder);
    EXECUTE format('CREATE TABLE %I PARTITION OF "OrderStatusChange" FOR VALUES WITH (MODULUS 16, REMAINDER %s)', 'OrderStatusChange_p' || remainder, remainder);
  END LOOP;
END
$$;

CREATE UNIQUE INDEX "Order_userId_idempotencyKey_key" ON "Order"("userId", "idempotencyKey");
CREATE INDEX "Order_userId_createdAt_idx" ON "Order"("userId", "createdAt");
CREATE INDEX "Order_createdAt_idx" ON "Order"("createdAt");
CREATE INDEX "OrderStatusChange_orderId_at_idx" ON "OrderStatusChange"("orderId", "at");

INSERT INTO "OrderLocator" ("id", "userId") SELECT "id", "userId" FROM "Order_unpartitioned";
INSERT INTO "Order" ("id", "userId", "status", "currency", "totalAmount", "idempotencyKey", "requestHash", "reservationId", "createdAt", "updatedAt",
                     "statusReason", "refundedAmount", "deliveredAt", "subtotalAmount", "discountAmount", "shippingAmount", "taxAmount",
                     "shippingAddress", "shippingMethod", "couponCode", "optionsHash")
SELECT "id", "userId", "status", "currency", "totalAmount", "idempotencyKey", "requestHash", "reservationId", "createdAt", "updatedAt",
       "statusReason", "refundedAmount", "deliveredAt", "subtotalAmount", "discountAmount", "shippingAmount", "taxAmount",
       "shippingAddress", "shippingMethod", "couponCode", "optionsHash"
FROM "Order_unpartitioned";
INSERT INTO "OrderItem" ("orderId", "userId", "productId", "name", "unitAmount", "quantity", "variantId", "sku", "variantTitle", "options")
SELECT i."orderId", o."userId", i."productId", i."name", i."unitAmount", i."quantity", i."variantId", i."sku", i."variantTitle", i."options"
FROM "OrderItem_unpartitioned" i JOIN "Order_unpartitioned" o ON o."id" = i."orderId";
INSERT INTO "OrderStatusChange" ("id", "orderId", "userId", "from", "to", "at", "reason")
SELECT h."id", h."orderId", o."userId", h."from", h."to", h."at", h."reason"
FROM "OrderStatusChange_unpartitioned" h JOIN "Order_unpartitioned" o ON o."id" = h."orderId";

DROP TABLE "OrderItem_unpartitioned";
DROP TABLE "OrderStatusChange_unpartitioned";
DROP TABLE "Order_unpartitioned";

ALTER TABLE "Order" ADD CONSTRAINT "Order_id_fkey" FOREIGN KEY ("id") REFERENCES "OrderLocator"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "OrderItem" ADD CONSTRAINT "OrderItem_orderId_userId_fkey" FOREIGN KEY ("orderId", "userId") REFERENCES "Order"("id", "userId") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "OrderStatusChange" ADD CONSTRAINT "OrderStatusChange_orderId_userId_fkey" FOREIGN KEY ("orderId", "userId") REFERENCES "Order"("id", "userId") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "Payment" ADD CONSTRAINT "Payment_orderId_fkey" FOREIGN KEY ("orderId") REFERENCES "OrderLocator"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "Refund" ADD CONSTRAINT "Refund_orderId_fkey" FOREIGN KEY ("orderId") REFERENCES "OrderLocator"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "Return" ADD CONSTRAINT "Return_orderId_userId_fkey" FOREIGN KEY ("orderId", "userId") REFERENCES "Order"("id", "userId") ON DELETE CASCADE ON UPDATE CASCADE;

-- The coupon's use comes back when an order ends unpaid, as on the unpartitioned table.
CREATE TRIGGER "Order_coupon_release" AFTER UPDATE OF status ON "Order"
FOR EACH ROW WHEN (NEW.status::text IN ('CANCELLED', 'PAYMENT_FAILED') AND OLD.status IS DISTINCT FROM NEW.status)
EXECUTE FUNCTION coupon_release_on_order_end();

-- orders_place as before, writing the order's locator first and the customer into its lines
-- and first status change (the partition key of each).
CREATE OR REPLACE FUNCTION orders_place(
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

  -- The locator first: an id taken by any customer fails here, before any partition is written.
  INSERT INTO "OrderLocator" (id, "userId") VALUES (p_order_id, p_user_id);
  INSERT INTO "Order" (id, "userId", status, currency, "totalAmount", "idempotencyKey", "requestHash", "reservationId", "createdAt", "updatedAt",
                       "subtotalAmount", "discountAmount", "shippingAmount", "taxAmount", "shippingAddress", "shippingMethod", "couponCode", "optionsHash")
  VALUES (p_order_id, p_user_id, p_status::"OrderStatus", p_currency, p_total_amount, p_idempotency_key, p_request_hash, p_reservation_id, p_now, p_now,
          p_subtotal_amount, p_discount_amount, p_shipping_amount, p_tax_amount, p_shipping_address, p_shipping_method, p_coupon_code, p_options_hash);
  INSERT INTO "OrderItem" ("orderId", "userId", "variantId", "productId", name, sku, "variantTitle", options, quantity, "unitAmount")
  SELECT p_order_id, p_user_id, item."variantId", item."productId", item.name, item.sku, item."variantTitle", item.options, item.quantity, item."unitAmount"
  FROM jsonb_to_recordset(p_items) AS item("variantId" text, "productId" text, name text, sku text, "variantTitle" text, options jsonb, quantity int, "unitAmount" int);
  INSERT INTO "OrderStatusChange" (id, "orderId", "userId", "from", "to", reason, at)
  VALUES (p_status_change_id, p_order_id, p_user_id, NULL, p_status::"OrderStatus", NULL, p_now);
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
