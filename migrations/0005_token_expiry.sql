-- The blotter ledger, schema version 5: bearer tokens that expire.
--
-- Portable SQL, as in version 1. Applied once, in one transaction, over the
-- ledger before it; nothing of it is rewritten.

-- When a token stops being accepted (wall-clock milliseconds, UTC). NULL:
-- never, as every token created before this version, which keeps working.
ALTER TABLE tokens ADD COLUMN expires_at BIGINT;
