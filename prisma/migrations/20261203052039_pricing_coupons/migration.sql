-- Pricing: shipping methods, tax rates and coupons (the cart subgraph's data), the coupon on a
-- cart, and the functions that check and record a coupon's redemption (orders_place calls
-- them in the order's own statement, see the next migration).

-- ---------- pricing ----------
CREATE TYPE "CouponType" AS ENUM ('PERCENTAGE', 'FIXED_AMOUNT');

CREATE TABLE "ShippingMethod" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "priceAmount" INTEGER NOT NULL,
    "currency" TEXT NOT NULL,
    "countries" TEXT[],
    "freeOverAmount" INTEGER,
    "minDeliveryDays" INTEGER NOT NULL,
    "maxDeliveryDays" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "ShippingMethod_pkey" PRIMARY KEY ("id")
);

CREATE TABLE "TaxRate" (
    "countryCode" TEXT NOT NULL,
    "region" TEXT NOT NULL DEFAULT '',
    "category" TEXT NOT NULL DEFAULT '',
    "rateBasisPoints" INTEGER NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    CONSTRAINT "TaxRate_pkey" PRIMARY KEY ("countryCode", "region", "category")
);

CREATE TABLE "Coupon" (
    "id" TEXT NOT NULL,
    "code" TEXT NOT NULL,
    "type" "CouponType" NOT NULL,
    "value" INTEGER NOT NULL,
    "currency" TEXT,
    "minSubtotalAmount" INTEGER NOT NULL DEFAULT 0,
    "startsAt" TIMESTAMP(3),
    "endsAt" TIMESTAMP(3),
    "usageLimit" INTEGER,
    "perCustomerLimit" INTEGER,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "redeemedCount" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Coupon_pkey" PRIMARY KEY ("id"),
    -- The last line of defence: whatever the code does, a coupon is never redeemed past its limit.
    CONSTRAINT "Coupon_redeemedCount_within_limit" CHECK ("redeemedCount" >= 0 AND ("usageLimit" IS NULL OR "redeemedCount" <= "usageLimit"))
);
CREATE UNIQUE INDEX "Coupon_code_key" ON "Coupon"("code");

CREATE TABLE "CouponRedemption" (
    "orderId" TEXT NOT NULL,
    "couponId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL,
    "releasedAt" TIMESTAMP(3),
    CONSTRAINT "CouponRedemption_pkey" PRIMARY KEY ("orderId")
);
CREATE INDEX "CouponRedemption_couponId_userId_idx" ON "CouponRedemption"("couponId", "userId");
ALTER TABLE "CouponRedemption" ADD CONSTRAINT "CouponRedemption_couponId_fkey" FOREIGN KEY ("couponId") REFERENCES "Coupon"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- ---------- cart ----------
ALTER TABLE "Cart" ADD COLUMN "couponCode" TEXT;

-- ---------- functions ----------

-- Locks the coupon (every checkout with it queues here until the one before commits) and says
-- whether one more redemption by this customer fits: NULL when it does, else the reason.
-- Each statement of a plpgsql function reads a fresh snapshot, so the count below sees the
-- redemptions of every checkout that held the lock before.
CREATE FUNCTION coupon_check_redeemable(p_coupon_id text, p_user_id text, p_now timestamp(3)) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  v_coupon "Coupon"%ROWTYPE;
  v_used int;
BEGIN
  SELECT * INTO v_coupon FROM "Coupon" WHERE id = p_coupon_id FOR UPDATE;
  IF NOT FOUND OR NOT v_coupon.active THEN RETURN 'INACTIVE'; END IF;
  IF v_coupon."startsAt" IS NOT NULL AND p_now < v_coupon."startsAt" THEN RETURN 'NOT_STARTED'; END IF;
  IF v_coupon."endsAt" IS NOT NULL AND p_now >= v_coupon."endsAt" THEN RETURN 'EXPIRED'; END IF;
  IF v_coupon."usageLimit" IS NOT NULL AND v_coupon."redeemedCount" >= v_coupon."usageLimit" THEN RETURN 'USAGE_LIMIT_REACHED'; END IF;
  IF v_coupon."perCustomerLimit" IS NOT NULL THEN
    SELECT count(*) INTO v_used FROM "CouponRedemption"
    WHERE "couponId" = p_coupon_id AND "userId" = p_user_id AND "releasedAt" IS NULL;
    IF v_used >= v_coupon."perCustomerLimit" THEN RETURN 'CUSTOMER_LIMIT_REACHED'; END IF;
  END IF;
  RETURN NULL;
END
$$;

-- Records the redemption and takes the coupon off the cart; call after coupon_check_redeemable
-- in the same transaction (the coupon row is locked).
CREATE FUNCTION coupon_redeem(p_coupon_id text, p_user_id text, p_order_id text, p_now timestamp(3)) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  INSERT INTO "CouponRedemption" ("orderId", "couponId", "userId", "createdAt") VALUES (p_order_id, p_coupon_id, p_user_id, p_now);
  UPDATE "Coupon" SET "redeemedCount" = "redeemedCount" + 1 WHERE id = p_coupon_id;
  UPDATE "Cart" SET "couponCode" = NULL WHERE "userId" = p_user_id;
END
$$;

