-- 010: a mail is recorded here before it is parsed and dropped in the
-- transaction that records it; a row still here names a mail that
-- killed an earlier attempt (deliver, the daemon), which the next
-- attempt quarantines instead of trying again.
CREATE TABLE parse_attempts (
	sha256		TEXT PRIMARY KEY,
	started_at	INTEGER NOT NULL,
	reason		TEXT		-- how the parser died, NULL when unknown
);
