import { processOnce, type PrismaClient } from "#kernel/relational";
import type { DeliveryLog } from "../ports/delivery-log.js";

/**
 * The delivery log on the ProcessedEvent table: the send runs inside the transaction that
 * records it, so two deliveries of one event at once send once (the second waits on the
 * first's record, then skips). Only a commit failing after a successful send can resend.
 */
export function createPrismaDeliveryLog(prisma: PrismaClient): DeliveryLog {
  return { once: (consumer, event, send) => processOnce(prisma, consumer, event, () => send()) };
}
