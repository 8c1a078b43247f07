-- The blotter ledger, schema version 4: one desk across several servers.
--
-- Portable SQL, as in version 1. Applied once, in one transaction, over the
-- ledger before it; nothing of it is rewritten.

-- How long the engine counts as running after its last heartbeat. Each
-- process writes the lease it keeps (`serve --lease`), so the others judge
-- it by its own terms. Heartbeats are the database's clock, not the
-- writer's, so hosts whose clocks differ agree on who is alive.
ALTER TABLE engines ADD COLUMN lease_ms BIGINT NOT NULL DEFAULT 5000;

-- Which process table the owner's pid belongs to (boot and pid namespace):
-- only a process sharing it may conclude from a missing pid that the owner
-- is gone without waiting for the lease. Containers often share host names.
ALTER TABLE engines ADD COLUMN machine TEXT NOT NULL DEFAULT '';

-- Commands for an engine that another instance of the desk runs: the
-- instance a request reached writes one here, the owner of the engine
-- claims it (pending -> running), carries it out acting as `actor`, and
-- writes the answer (done). One the owner did not claim in time is
-- `expired` and never carried out. `result` is the answer as JSON.
CREATE TABLE desk_commands (
    id           BIGINT PRIMARY KEY,
    engine_id    BIGINT NOT NULL,
    requested_by TEXT NOT NULL,
    actor        TEXT NOT NULL,
    command      TEXT NOT NULL,
    status       TEXT NOT NULL,
    result       TEXT,
    requested_at BIGINT NOT NULL,
    done_at      BIGINT
);
CREATE INDEX desk_commands_engine ON desk_commands (engine_id, status);
