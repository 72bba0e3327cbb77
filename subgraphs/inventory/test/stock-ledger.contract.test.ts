import { describeWithRealEngine } from "#kernel/testing";
import { createTestDatabase } from "../../../test/support/test-database.js";
import { defineStockLedgerContract } from "./stock-ledger.contract.js";

defineStockLedgerContract("embedded-postgres", () => createTestDatabase("embedded"));

describeWithRealEngine({ suite: "StockLedger contract", engine: "postgresql", variable: "TEST_PG_REAL_URL" }, () => {
  defineStockLedgerContract("postgresql", () => createTestDatabase("real"));
});
