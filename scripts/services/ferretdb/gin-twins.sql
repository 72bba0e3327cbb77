-- GIN twins for FerretDB v1's field indexes, in the PostgreSQL database FerretDB stores into.
--
-- FerretDB v1.24 (PostgreSQL backend) pushes a top-level equality filter down to SQL as
-- `_jsonb->'field' @> '<value>'` and nothing else (no ranges, no sorts, no `$in`, no `$or`).
-- The indexes it creates for `createIndexes`, the `_id` primary key included, are B-trees on
-- `(_jsonb->'field')`, which serve `=` and `<` but never `@>`: every pushed-down lookup was a
-- sequential scan (2.4 s for one `_id` at 1M documents). A GIN index on the same expression
-- serves `@>` (0.1-1 ms). This event trigger gives every single-field index FerretDB creates
-- such a twin, in the same transaction; `ferretdb_gin_twins_backfill()` adds the missing twins
-- to collections created before it was installed. Idempotent: `scripts/services.sh up`
-- applies it on every start.
--
-- Twins are made without GIN's pending list (`fastupdate = off`). With it, new entries wait in
-- an unsorted list that every lookup reads whole until a vacuum merges it, and autovacuum of a
-- catalog-sized table waits for hundreds of thousands of changes: at 2,000,000 products, 26,000
-- entries left by writes made each `_id` lookup read 90 pending pages (3.1 ms of PostgreSQL
-- CPU, 6.3 ms a `findOne` through FerretDB, against 0.1 ms for the tree). Each write then
-- updates the tree directly, a few entries per document. The backfill turns the list off on
-- twins made before and merges what waits in it.

CREATE OR REPLACE FUNCTION ferretdb_gin_twin(index_oid oid) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  expression text;
  table_oid oid;
  twin text;
BEGIN
  SELECT pg_get_indexdef(i.indexrelid, 1, true), i.indrelid
    INTO expression, table_oid
    FROM pg_index i
    JOIN pg_class c ON c.oid = i.indexrelid
    JOIN pg_am am ON am.oid = c.relam
   WHERE i.indexrelid = index_oid AND am.amname = 'btree' AND i.indnkeyatts = 1;
  -- Only FerretDB's shape: one key, `_jsonb -> 'field'` (not dot paths, not compound indexes).
  IF expression IS NULL OR expression !~ '^\(?_jsonb -> ''[^'']+''::text\)?$' THEN
    RETURN;
  END IF;
  twin := left((SELECT relname FROM pg_class WHERE oid = index_oid), 59) || '_gin';
  EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %s USING gin ((%s)) WITH (fastupdate = off)', twin, table_oid::regclass, expression);
END
$$;

CREATE OR REPLACE FUNCTION ferretdb_gin_twins_on_create_index() RETURNS event_trigger
LANGUAGE plpgsql AS $$
DECLARE
  command record;
BEGIN
  FOR command IN SELECT objid FROM pg_event_trigger_ddl_commands() WHERE object_type = 'index' LOOP
    -- The twin's own CREATE INDEX comes back here too: it is GIN, so ferretdb_gin_twin skips it.
    PERFORM ferretdb_gin_twin(command.objid);
  END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION ferretdb_gin_twins_backfill() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  index_oid oid;
  before integer;
BEGIN
  SELECT count(*) INTO before FROM pg_indexes WHERE indexname LIKE '%\_gin';
  FOR index_oid IN
    SELECT i.indexrelid FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
     WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
  LOOP
    PERFORM ferretdb_gin_twin(index_oid);
  END LOOP;
  -- Twins made with a pending list: off from now on, and what waits in it merged into the tree.
  FOR index_oid IN
    SELECT c.oid FROM pg_class c JOIN pg_am am ON am.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE am.amname = 'gin' AND c.relname LIKE '%\_gin' AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
       AND NOT coalesce(c.reloptions @> ARRAY['fastupdate=off'], false)
  LOOP
    EXECUTE format('ALTER INDEX %s SET (fastupdate = off)', index_oid::regclass);
    PERFORM gin_clean_pending_list(index_oid::regclass);
  END LOOP;
  RETURN (SELECT count(*) FROM pg_indexes WHERE indexname LIKE '%\_gin') - before;
END
$$;

DROP EVENT TRIGGER IF EXISTS ferretdb_gin_twins;
CREATE EVENT TRIGGER ferretdb_gin_twins ON ddl_command_end WHEN TAG IN ('CREATE INDEX')
  EXECUTE FUNCTION ferretdb_gin_twins_on_create_index();
