#!/bin/sh
# Stand-in for Prisma's native schema engine binary, which cannot be downloaded offline.
# prisma.config.ts points PRISMA_SCHEMA_ENGINE_BINARY here so that `prisma generate`,
# `validate` and `format` work (they never run the engine). Migrations go through the
# WebAssembly schema engine in scripts/migrate/ (see prisma/README.md).
#
# The Prisma CLI skips the first stderr line and reads the others as JSON log records,
# so the hint is written in that shape to be shown as the error message.
HINT="The native Prisma schema engine is not installed in this project (offline setup). Use our migration tool instead, see prisma/README.md: npm run db:migrate:create -- <name> | npm run db:migrate:deploy | npm run db:migrate:status | npm run db:check"
echo "$HINT" >&2
printf '{"level":"ERROR","target":"schema_engine::logger","fields":{"error_code":"OFFLINE","message":"%s"}}\n' "$HINT" >&2
exit 1
