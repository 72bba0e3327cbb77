#!/usr/bin/env bash
# Orders split by customer over two PostgreSQL servers with what PostgreSQL itself offers: a
# table hash-partitioned by "userId" whose partitions 0 and 1 live on this server and 2 and 3
# on a second one (cluster 15/shard on port 5433, created and started here when missing),
# attached as postgres_fdw foreign tables. Fills it from the "Order" table of DATABASE's
# database and prints the plan of a customer's history for a customer of each server.
#
#   scripts/orders/shard-demo.sh DATABASE        a database loaded by scripts/orders/generate.ts
#                                                 (every order is copied: a small one, e.g.
#                                                 --count 50000, takes seconds)
#   scripts/orders/shard-demo.sh --stop          stops the second server
#
# A demonstration of the mechanics the README's sharding design relies on; the live order
# tables are not partitioned (see "Order history at scale" in the README for why).
set -euo pipefail

PG_VERSION=15
SHARD_CLUSTER=shard
SHARD_PORT=5433
DB=${1:?usage: scripts/orders/shard-demo.sh DATABASE | --stop}
PARTITIONS=4

if [[ $DB == --stop ]]; then
  pg_ctlcluster "$PG_VERSION" "$SHARD_CLUSTER" stop -m fast
  exit 0
fi

sql() { # sql PORT DB SQL
  PGPASSWORD=postgres PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$1" -U postgres -d "$2" -tAc "$3"
}

if [[ ! -d /etc/postgresql/$PG_VERSION/$SHARD_CLUSTER ]]; then
  pg_createcluster "$PG_VERSION" "$SHARD_CLUSTER" -p "$SHARD_PORT" >/dev/null
fi
if ! pg_lsclusters -h | awk -v c="$SHARD_CLUSTER" '$2 == c && $4 == "online"' | grep -q .; then
  pg_ctlcluster "$PG_VERSION" "$SHARD_CLUSTER" start
fi
deadline=$((SECONDS + 60))
until runuser -u postgres -- psql -X -q -p "$SHARD_PORT" -d postgres -tAc 'SELECT 1' >/dev/null 2>&1; do
  ((SECONDS < deadline)) || { echo "second server did not start on $SHARD_PORT" >&2; exit 1; }
  sleep 0.5
done
runuser -u postgres -- psql -X -q -p "$SHARD_PORT" -d postgres -c "ALTER USER postgres PASSWORD 'postgres'" >/dev/null
[[ -n $(sql "$SHARD_PORT" postgres "SELECT 1 FROM pg_database WHERE datname = '$DB'") ]] || sql "$SHARD_PORT" postgres "CREATE DATABASE \"$DB\"" >/dev/null

# The remote partitions: plain tables on the second server, shaped like the local ones.
columns=$(sql 5432 "$DB" "SELECT string_agg(format('%I %s', attname, CASE WHEN t.typtype = 'e' THEN 'text' ELSE format_type(atttypid, atttypmod) END), ', ' ORDER BY attnum)
  FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid WHERE attrelid = '\"Order\"'::regclass AND attnum > 0 AND NOT attisdropped")
for p in 2 3; do
  sql "$SHARD_PORT" "$DB" "DROP TABLE IF EXISTS \"OrderSharded_$p\"; CREATE TABLE \"OrderSharded_$p\" ($columns, PRIMARY KEY (\"userId\", id)); CREATE INDEX ON \"OrderSharded_$p\" (\"userId\", \"createdAt\")"
done

sql 5432 "$DB" "
  CREATE EXTENSION IF NOT EXISTS postgres_fdw;
  DROP TABLE IF EXISTS \"OrderSharded\";
  DROP SERVER IF EXISTS order_shard_2 CASCADE;
  CREATE SERVER order_shard_2 FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host '127.0.0.1', port '$SHARD_PORT', dbname '$DB');
  CREATE USER MAPPING FOR CURRENT_USER SERVER order_shard_2 OPTIONS (user 'postgres', password 'postgres');
  CREATE TABLE \"OrderSharded\" ($columns) PARTITION BY HASH (\"userId\");
  CREATE TABLE \"OrderSharded_0\" PARTITION OF \"OrderSharded\" FOR VALUES WITH (MODULUS $PARTITIONS, REMAINDER 0);
  CREATE TABLE \"OrderSharded_1\" PARTITION OF \"OrderSharded\" FOR VALUES WITH (MODULUS $PARTITIONS, REMAINDER 1);
  CREATE FOREIGN TABLE \"OrderSharded_2\" PARTITION OF \"OrderSharded\" FOR VALUES WITH (MODULUS $PARTITIONS, REMAINDER 2) SERVER order_shard_2 OPTIONS (table_name 'OrderSharded_2');
  CREATE FOREIGN TABLE \"OrderSharded_3\" PARTITION OF \"OrderSharded\" FOR VALUES WITH (MODULUS $PARTITIONS, REMAINDER 3) SERVER order_shard_2 OPTIONS (table_name 'OrderSharded_3');
  CREATE INDEX ON \"OrderSharded_0\" (\"userId\", \"createdAt\");
  CREATE INDEX ON \"OrderSharded_1\" (\"userId\", \"createdAt\");"

# Rows go through the partitioned table: PostgreSQL routes each to its partition, local or remote.
started=$SECONDS
sql 5432 "$DB" "INSERT INTO \"OrderSharded\" SELECT $(sql 5432 "$DB" "SELECT string_agg(CASE WHEN t.typtype = 'e' THEN format('%I::text', attname) ELSE quote_ident(attname) END, ', ' ORDER BY attnum)
  FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid WHERE attrelid = '\"Order\"'::regclass AND attnum > 0 AND NOT attisdropped") FROM \"Order\""
sql 5432 "$DB" "ANALYZE \"OrderSharded_0\", \"OrderSharded_1\""
sql "$SHARD_PORT" "$DB" "ANALYZE \"OrderSharded_2\", \"OrderSharded_3\""
echo "rows copied in $((SECONDS - started)) s; per partition (first server: 0 and 1, second server $SHARD_PORT: 2 and 3):"
sql 5432 "$DB" "SELECT tableoid::regclass, count(*) FROM \"OrderSharded\" GROUP BY 1 ORDER BY 1"

for server in local remote; do
  [[ $server == local ]] && part=OrderSharded_0 || part=OrderSharded_2
  customer=$(sql 5432 "$DB" "SELECT \"userId\" FROM \"$part\" LIMIT 1")
  echo
  echo "A customer's latest 20 orders, $customer (partition $part, $server):"
  [[ $server == local ]] && options="COSTS OFF" || options="COSTS OFF, VERBOSE"
  sql 5432 "$DB" "EXPLAIN ($options) SELECT * FROM \"OrderSharded\" WHERE \"userId\" = '$customer' ORDER BY \"createdAt\" DESC, id DESC LIMIT 21" | grep -v '^ *Output:'
done
