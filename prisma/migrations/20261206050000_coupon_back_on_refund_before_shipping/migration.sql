-- A PAID order refunded in full before it ships ends as a cancel does: nothing sent, every unit
-- back on sale, all the money given back. Its coupon use now comes back too, as a cancel's
-- does, in the transaction of the status change. The trigger is replaced only where it stands:
-- a shard database of remote partitions has none (its coordinator's fires for their rows).
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'Order_coupon_release' AND tgrelid = '"Order"'::regclass) THEN
    DROP TRIGGER "Order_coupon_release" ON "Order";
    CREATE TRIGGER "Order_coupon_release" AFTER UPDATE OF status ON "Order"
    FOR EACH ROW WHEN (
      (NEW.status::text IN ('CANCELLED', 'PAYMENT_FAILED') AND OLD.status IS DISTINCT FROM NEW.status)
      OR (NEW.status::text = 'REFUNDED' AND OLD.status::text = 'PAID')
    )
    EXECUTE FUNCTION coupon_release_on_order_end();
  END IF;
END
$$;
