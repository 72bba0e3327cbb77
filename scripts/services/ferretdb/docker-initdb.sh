#!/bin/sh
# PostgreSQL image init script (docker-compose.yml, profile `ferretdb`): the database FerretDB
# stores into, with the GIN twins installed before FerretDB creates its first index (see
# gin-twins.sql for why). Runs once, when the container's data directory is created.
set -eu
psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d postgres -c "CREATE DATABASE ferretdb"
psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d ferretdb -f /ferretdb/gin-twins.sql
