-- The blotter ledger, schema version 3: the desk's risk controls.
--
-- Portable SQL, as in version 1. The controls belong to the desk, not to
-- an engine: every engine recording into this database (a restarted
-- `serve`, or several `serve` processes sharing one PostgreSQL) reads and
-- writes the same rows. A change is written in the same transaction as the
-- engine event that made it, so a control is durable exactly when the
-- change is acknowledged, and a restart reads back what was acknowledged.
--
-- Tenant '' is the desk itself (limits every tenant has unless it overrides
-- them, a trading state set for every tenant at once); user_name '' is a
-- tenant's own limits. Who changed a row is `user@tenant` with the role;
-- changed_at is wall-clock UTC milliseconds, sim_ts simulated UTC nanoseconds.

-- The number of the last change to any control. Writers bump it first
-- (`UPDATE ... SET n = n + 1`), which on PostgreSQL locks the row until the
-- transaction ends, so changes from several servers get distinct, ordered
-- numbers; a reader that remembers n knows whether anything changed since.
CREATE TABLE risk_version (
    id BIGINT PRIMARY KEY,
    n  BIGINT NOT NULL
);
INSERT INTO risk_version (id, n) VALUES (1, 0);

-- Trading state and execution enablement per tenant. A NULL column was
-- never set by a supervisor: the server's start-up configuration decides it
-- (`--enable-tenants`; the desk row's state for the state).
CREATE TABLE risk_tenants (
    tenant       TEXT PRIMARY KEY,
    state        TEXT,
    execution    BIGINT,
    version      BIGINT NOT NULL,
    changed_by   TEXT NOT NULL,
    changed_role TEXT NOT NULL,
    changed_at   BIGINT NOT NULL,
    sim_ts       BIGINT NOT NULL
);

-- Limits of the desk ('', ''), a tenant (tenant, '') or a user (tenant, user),
-- as JSON (crate::risk::Limits: money as USD numbers exact to 6 decimals).
CREATE TABLE risk_limits (
    tenant       TEXT NOT NULL,
    user_name    TEXT NOT NULL,
    limits       TEXT NOT NULL,
    version      BIGINT NOT NULL,
    changed_by   TEXT NOT NULL,
    changed_role TEXT NOT NULL,
    changed_at   BIGINT NOT NULL,
    sim_ts       BIGINT NOT NULL,
    PRIMARY KEY (tenant, user_name)
);

-- Every change, in order: n is risk_version.n after it. The change itself
-- is JSON (crate::risk::Control: control = desk_limits | limits | state |
-- execution); kind says how it was made (a kill switch is a state change).
CREATE TABLE risk_changes (
    n          BIGINT PRIMARY KEY,
    at         BIGINT NOT NULL,
    sim_ts     BIGINT NOT NULL,
    engine_id  BIGINT NOT NULL,
    user_name  TEXT NOT NULL,
    tenant     TEXT NOT NULL,
    role       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    change     TEXT NOT NULL
);
CREATE INDEX risk_changes_at ON risk_changes (at);
