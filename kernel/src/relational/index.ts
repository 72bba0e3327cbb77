// Relational role: PostgreSQL through Prisma, real (DATABASE_URL) or embedded. Kept apart
// from the kernel's main surface so processes without a database never load Prisma.
export * from "./embedded-postgres-server.js";
export * from "./prisma-client.js";
export * from "./outbox.js";
export * from "./outbox-relay.js";
export * from "./outbox-retention.js";
export * from "./process-once.js";
