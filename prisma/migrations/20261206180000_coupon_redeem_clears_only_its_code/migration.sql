-- An order takes off the cart only the coupon it redeemed. coupon_redeem cleared the cart's
-- coupon whatever it was, so a checkout given a code of its own ("a coupon instead of the
-- cart's") wiped the one the customer had applied and not used, and a coupon applied in another
-- tab while the order was being placed (after the checkout had priced the cart's previous one)
-- was wiped too. Now the cart's coupon goes only when it names the coupon this order redeemed
-- (the cart keeps codes normalised, as the Coupon table does). Same signature: orders_place
-- calls it as before.
CREATE OR REPLACE FUNCTION coupon_redeem(p_coupon_id text, p_user_id text, p_order_id text, p_now timestamp(3)) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  INSERT INTO "CouponRedemption" ("orderId", "couponId", "userId", "createdAt") VALUES (p_order_id, p_coupon_id, p_user_id, p_now);
  UPDATE "Coupon" SET "redeemedCount" = "redeemedCount" + 1 WHERE id = p_coupon_id;
  UPDATE "Cart" SET "couponCode" = NULL
  WHERE "userId" = p_user_id AND "couponCode" = (SELECT code FROM "Coupon" WHERE id = p_coupon_id);
END
$$;
