-- The table of the migrations applied (store/migrations/), created once.
CREATE TABLE IF NOT EXISTS baton_schema_migrations (
  version integer PRIMARY KEY, name text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now())
