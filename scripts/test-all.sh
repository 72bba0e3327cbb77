#!/usr/bin/env bash
# The full test suite on real engines (`npm run test:all`): installs and starts every engine
# this machine needs (scripts/services.sh), brings the real database schema up to date and
# checks it for drift (after deleting the Kafka topics earlier runs left), then runs `npm test`
# with every engine URL set, so each contract suite runs against its embedded adapter and its
# real engine.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/services.sh up
eval "$(scripts/services.sh env)"
npx tsx scripts/services/kafka/delete-test-topics.ts

npm run --silent db:migrate:deploy
npm run --silent db:check
npx tsx prisma/accounts/migrator/cli.ts deploy
npx tsx prisma/accounts/migrator/cli.ts check

npm test
