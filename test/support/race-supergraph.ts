import { startPaymentSimulator, type RunningPaymentSimulator } from "../../services/payment-simulator/src/index.js";
import { startCheckoutSupergraph, type CheckoutSupergraph, type EngineSet } from "../../subgraphs/orders/test/support/start-checkout-supergraph.js";

export interface RaceSupergraph {
  sg: CheckoutSupergraph;
  simulator: RunningPaymentSimulator;
  /** An admin's access token (products, prices, restocks). */
  admin: string;
  close(): Promise<void>;
}

/**
 * A checkout supergraph for races of a customer's clicks, two tabs or an admin's edits: its
 * payment provider answers in 10 ms, and its cost and sign-in budgets stay out of the way of a
 * test's bursts, so what a race is refused is the race's own verdict.
 */
export async function startRaceSupergraph(engines: EngineSet, adminName: string): Promise<RaceSupergraph> {
  const simulator = await startPaymentSimulator({ latencyMs: 10 });
  let sg: CheckoutSupergraph | undefined;
  try {
    sg = await startCheckoutSupergraph({ engines, env: { PAYMENT_PROVIDER_URL: simulator.url, RATE_LIMIT_COST_PER_MINUTE: "10000000", RATE_LIMIT_AUTH_PER_MINUTE: "100000" } });
    const admin = await sg.token(adminName, ["admin"]);
    const started = sg;
    return {
      sg,
      simulator,
      admin,
      async close() {
        await started.close();
        await simulator.close();
      },
    };
  } catch (error) {
    await sg?.close();
    await simulator.close();
    throw error;
  }
}
