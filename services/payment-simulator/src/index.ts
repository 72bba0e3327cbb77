// The payment gateway simulator's public surface: add exports here with intention.
export { startPaymentSimulator, type PaymentSimulatorOptions, type RunningPaymentSimulator } from "./payment-simulator.js";
export type { BehaviourRule, BehaviourAction, RuleMatch } from "./behaviour-script.js";
export type { Charge, Refund, LedgerFilter } from "./ledger.js";
export { TEST_PAYMENT_METHODS, TRANSIENT_FAILURES } from "./test-payment-methods.js";
