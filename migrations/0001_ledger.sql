-- The blotter ledger, schema version 1.
--
-- Portable SQL: the same text runs on SQLite and PostgreSQL. Prices,
-- quantities and money are exact raw integers (Price x 1e9, Qty and Money
-- x 1e6, as in src/model/num.rs); simulated times are UTC nanoseconds; wall
-- clock times are UTC milliseconds. Flags are 0/1 integers.

-- One row per engine instance (a `blotter run`, a server's book). Orders,
-- events and fills are keyed by (engine_id, engine-local id), so several
-- engines can share one database without their ids colliding.
CREATE TABLE engines (
    id           BIGINT PRIMARY KEY,
    tenant       TEXT NOT NULL,
    user_name    TEXT NOT NULL,
    seed         BIGINT NOT NULL,
    trade_date   TEXT NOT NULL,
    symbols      TEXT NOT NULL,
    universe     TEXT,
    replay       TEXT,
    market       TEXT NOT NULL,
    risk_config  TEXT NOT NULL,
    risk_book    TEXT,
    created_at   BIGINT NOT NULL,
    owner        TEXT NOT NULL,
    host         TEXT NOT NULL,
    pid          BIGINT NOT NULL,
    heartbeat_at BIGINT NOT NULL,
    stopped_at   BIGINT,
    last_seq     BIGINT NOT NULL,
    last_fill    BIGINT NOT NULL,
    last_audit   BIGINT NOT NULL,
    sim_now      BIGINT NOT NULL
);

CREATE TABLE parents (
    engine_id        BIGINT NOT NULL REFERENCES engines (id),
    id               BIGINT NOT NULL,
    user_name        TEXT NOT NULL,
    tenant           TEXT NOT NULL,
    symbol           TEXT NOT NULL,
    side             TEXT NOT NULL,
    qty              BIGINT NOT NULL,
    limit_px         BIGINT,
    algo             TEXT NOT NULL,
    params           TEXT NOT NULL,
    start_ts         BIGINT NOT NULL,
    end_ts           BIGINT NOT NULL,
    status           TEXT NOT NULL,
    filled           BIGINT NOT NULL,
    notional         BIGINT NOT NULL,
    fees             BIGINT NOT NULL,
    arrival_px       BIGINT,
    decision_px      BIGINT,
    created_at       BIGINT NOT NULL,
    started_at       BIGINT,
    done_at          BIGINT,
    children         BIGINT NOT NULL,
    cancel_requested BIGINT NOT NULL,
    last_seq         BIGINT NOT NULL,
    PRIMARY KEY (engine_id, id)
);
CREATE INDEX parents_created ON parents (created_at);
CREATE INDEX parents_status ON parents (status, created_at);
CREATE INDEX parents_owner ON parents (tenant, user_name, created_at);
CREATE INDEX parents_symbol ON parents (symbol, created_at);

CREATE TABLE children (
    engine_id  BIGINT NOT NULL,
    parent_id  BIGINT NOT NULL,
    seq        BIGINT NOT NULL,
    venue      TEXT NOT NULL,
    side       TEXT NOT NULL,
    qty        BIGINT NOT NULL,
    px         BIGINT,
    order_type TEXT NOT NULL,
    tif        TEXT NOT NULL,
    status     TEXT NOT NULL,
    filled     BIGINT NOT NULL,
    notional   BIGINT NOT NULL,
    sent_at    BIGINT NOT NULL,
    acked_at   BIGINT,
    PRIMARY KEY (engine_id, parent_id, seq),
    FOREIGN KEY (engine_id, parent_id) REFERENCES parents (engine_id, id)
);

-- The primary key is what makes a fill impossible to record twice.
CREATE TABLE fills (
    engine_id BIGINT NOT NULL,
    id        BIGINT NOT NULL,
    parent_id BIGINT NOT NULL,
    child_seq BIGINT NOT NULL,
    venue     TEXT NOT NULL,
    side      TEXT NOT NULL,
    px        BIGINT NOT NULL,
    qty       BIGINT NOT NULL,
    notional  BIGINT NOT NULL,
    fee       BIGINT NOT NULL,
    liquidity TEXT NOT NULL,
    ts        BIGINT NOT NULL,
    seq       BIGINT NOT NULL,
    PRIMARY KEY (engine_id, id),
    FOREIGN KEY (engine_id, parent_id, child_seq) REFERENCES children (engine_id, parent_id, seq)
);
CREATE INDEX fills_parent ON fills (engine_id, parent_id);
CREATE INDEX fills_ts ON fills (ts);

-- Append-only: every engine event, as emitted, with its sequence number.
CREATE TABLE events (
    engine_id BIGINT NOT NULL REFERENCES engines (id),
    seq       BIGINT NOT NULL,
    ts        BIGINT NOT NULL,
    kind      TEXT NOT NULL,
    parent_id BIGINT,
    payload   TEXT NOT NULL,
    PRIMARY KEY (engine_id, seq)
);

-- Who did what, including refusals. engine_id 0 holds ledger-wide actions.
CREATE TABLE audit (
    engine_id BIGINT NOT NULL,
    n         BIGINT NOT NULL,
    at        BIGINT NOT NULL,
    sim_ts    BIGINT,
    user_name TEXT NOT NULL,
    tenant    TEXT NOT NULL,
    role      TEXT NOT NULL,
    action    TEXT NOT NULL,
    parent_id BIGINT,
    outcome   TEXT NOT NULL,
    code      TEXT,
    detail    TEXT NOT NULL,
    PRIMARY KEY (engine_id, n)
);
CREATE INDEX audit_actor ON audit (tenant, user_name, at);

-- Post-trade figures of finished orders; detail holds the whole summary as JSON.
CREATE TABLE tca (
    engine_id     BIGINT NOT NULL,
    parent_id     BIGINT NOT NULL,
    algo          TEXT NOT NULL,
    symbol        TEXT NOT NULL,
    side          TEXT NOT NULL,
    tenant        TEXT NOT NULL,
    user_name     TEXT NOT NULL,
    done_at       BIGINT NOT NULL,
    filled        BIGINT NOT NULL,
    notional      BIGINT NOT NULL,
    fees          BIGINT NOT NULL,
    arrival_px    BIGINT,
    interval_vwap BIGINT,
    arrival_bps   DOUBLE PRECISION,
    vwap_bps      DOUBLE PRECISION,
    participation DOUBLE PRECISION NOT NULL,
    detail        TEXT NOT NULL,
    PRIMARY KEY (engine_id, parent_id),
    FOREIGN KEY (engine_id, parent_id) REFERENCES parents (engine_id, id)
);
CREATE INDEX tca_done ON tca (done_at);

-- Default algorithm parameters per tenant, set by supervisors.
CREATE TABLE algo_config (
    tenant     TEXT NOT NULL,
    algo       TEXT NOT NULL,
    params     TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant, algo)
);
