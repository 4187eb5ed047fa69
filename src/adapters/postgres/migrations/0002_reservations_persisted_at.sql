-- When each reservation's row was first written: the end-to-end lag "reserve answered -> row
-- in PostgreSQL" reads from it (docs/benchmarks.md), and so can an operator.
-- clock_timestamp(), not now(): now() is the transaction's start, one value for a whole batch.
-- The row becomes visible when the worker's transaction commits, right after its statement.
ALTER TABLE reservations ADD COLUMN persisted_at timestamptz NOT NULL DEFAULT clock_timestamp();
