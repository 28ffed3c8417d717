-- 008: a mail is recorded here before it is parsed and dropped in the
-- transaction that records it; a row still here names a mail whose
-- earlier attempt died (deliver, the daemon).  With the parser child's
-- reason the next attempt quarantines it; without one (the whole
-- process died: killed, or a crash after parsing) after two attempts.
CREATE TABLE parse_attempts (
	sha256		TEXT PRIMARY KEY,
	started_at	INTEGER NOT NULL,
	attempts	INTEGER NOT NULL DEFAULT 1,
	reason		TEXT		-- how the parser died, NULL when unknown
);
