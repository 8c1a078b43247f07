-- The blotter ledger, schema version 2: what the HTTP sidecar keeps.
--
-- Portable SQL, as in version 1. Applied once, in one transaction, over a
-- version 1 ledger; nothing of version 1 is rewritten.

-- Bearer tokens of `blotter serve`. Only the SHA-256 of a token is stored:
-- the token itself is shown once, when it is created. Revoked tokens stay
-- (for the audit trail) and are never accepted again.
CREATE TABLE tokens (
    hash       TEXT PRIMARY KEY,
    id         TEXT NOT NULL UNIQUE,
    user_name  TEXT NOT NULL,
    tenant     TEXT NOT NULL,
    role       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    revoked_at BIGINT,
    revoked_by TEXT
);
CREATE INDEX tokens_owner ON tokens (tenant, user_name);

-- Algorithm configuration becomes one model: the desk-wide layer (tenant '')
-- and each tenant's layer, each algorithm enabled or not with its default
-- parameters. Existing rows (parameters only) stay enabled.
ALTER TABLE algo_config ADD COLUMN enabled BIGINT NOT NULL DEFAULT 1;

-- What started an engine: `run` (and `compare`, `recover`) or `serve`. A
-- restarted `serve` resumes the last engine it served.
ALTER TABLE engines ADD COLUMN kind TEXT NOT NULL DEFAULT 'run';
CREATE INDEX engines_kind ON engines (kind, id);

-- Audit records outside any engine (engine 0: tokens, algorithm
-- configuration, the sidecar's refusals), by time.
CREATE INDEX audit_at ON audit (engine_id, at);
