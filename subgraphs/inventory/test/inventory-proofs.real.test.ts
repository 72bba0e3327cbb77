// The inventory proofs on real PostgreSQL (TEST_PG_REAL_URL, set by `npm test` from
// DATABASE_URL) and real Redis (REDIS_URL; the outage proofs start their own redis-server).
import { describeWithRealEngine } from "#kernel/testing";
import { realRig } from "./support/inventory-rig.js";
import { defineOversellingProofs } from "./overselling.proofs.js";
import { defineExpiryProofs } from "./expiry.proofs.js";
import { defineStoppedAdmissionProofs } from "./stopped-admission.proofs.js";
import { defineStoppedGiveBackProofs } from "./stopped-give-back.proofs.js";
import { defineRestartProofs } from "./restart.proofs.js";

describeWithRealEngine({ suite: "Inventory proofs", engine: "postgresql", variable: "TEST_PG_REAL_URL" }, () => {
  describeWithRealEngine({ suite: "Inventory proofs", engine: "redis", variable: "REDIS_URL" }, (redisUrl) => {
    defineOversellingProofs("postgresql+redis", realRig(redisUrl));
    defineExpiryProofs("postgresql+redis", realRig(redisUrl));
    defineStoppedAdmissionProofs("postgresql+redis", realRig(redisUrl));
    defineStoppedGiveBackProofs("postgresql+redis", realRig(redisUrl));
    defineRestartProofs("postgresql+redis", realRig(redisUrl));
  });
});
