import DataLoader from "dataloader";
import type { RequestContext } from "#kernel";
import type { Payment } from "./domain/payment.js";
import type { PaymentService } from "./domain/payment.service.js";

export interface PaymentsContext extends RequestContext {
  service: PaymentService;
  /** One batched read per tick for every order whose payment a request asks for. */
  paymentByOrderId: DataLoader<string, Payment | null>;
}

export function createPaymentsContext(base: RequestContext, service: PaymentService): PaymentsContext {
  return {
    ...base,
    service,
    paymentByOrderId: new DataLoader(async (orderIds) => {
      const found = await service.findByOrderIds(orderIds);
      return orderIds.map((id) => found.get(id) ?? null);
    }),
  };
}
