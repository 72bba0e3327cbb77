-- The previous release calls orders_place without a payment method (29 arguments). During a
-- rolling deploy its processes still serve checkouts after the migrations ran: this keeps that
-- call working, as a placement without a method (the provider's default, as before). Calls with
-- 29 and 30 arguments resolve to different functions, so nothing is ambiguous. A later release
-- may drop it once no process of the previous one can be running.

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
LANGUAGE sql VOLATILE AS $$
  SELECT orders_place(p_order_id, p_user_id, p_status, p_currency, p_total_amount, p_idempotency_key, p_request_hash,
    p_reservation_id, p_now, p_items, p_status_change_id, p_payment_id, p_payment_amount, p_payment_currency, p_events,
    p_cart_variants, p_cart_quantities, p_cart_amounts, p_cart_currencies, p_cart_unavailable, p_subtotal_amount,
    p_discount_amount, p_shipping_amount, p_tax_amount, p_shipping_address, p_shipping_method, p_coupon_id, p_coupon_code,
    p_options_hash, NULL::text)
$$;
