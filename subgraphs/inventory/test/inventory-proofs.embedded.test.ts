// The inventory proofs on the zero-setup engines: embedded PostgreSQL and the in-memory mirror.
import { embeddedRig } from "./support/inventory-rig.js";
import { defineOversellingProofs } from "./overselling.proofs.js";
import { defineExpiryProofs } from "./expiry.proofs.js";
import { defineStoppedAdmissionProofs } from "./stopped-admission.proofs.js";
import { defineStoppedGiveBackProofs } from "./stopped-give-back.proofs.js";
import { defineRestartProofs } from "./restart.proofs.js";

defineOversellingProofs("embedded", embeddedRig);
defineExpiryProofs("embedded", embeddedRig);
defineStoppedAdmissionProofs("embedded", embeddedRig);
defineStoppedGiveBackProofs("embedded", embeddedRig);
defineRestartProofs("embedded", embeddedRig);
