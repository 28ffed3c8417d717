-- 014 disk (issue 12): an attachment's bytes up to 256 KB are kept in
-- the database, as raw mail's are: in the spool each took a file, a
-- 4 KB block and a share of a folder (5 MB on disk for the bench's
-- 1.9 MB of attachments).  Bigger ones, and those stored before, stay
-- in spool/att.  data is raw-deflated exactly when length(data) < size.
CREATE TABLE blobs (
	sha256		TEXT PRIMARY KEY,
	size		INTEGER NOT NULL,
	data		BLOB NOT NULL
);

-- seen and outbox_rcpts are their primary key and little more: without
-- a rowid they are kept once, not as a table and its index.
CREATE TABLE seen_k (
	message_id	TEXT NOT NULL,		-- '' when the mail had none
	raw_sha256	TEXT NOT NULL,
	at		INTEGER NOT NULL,
	outcome		TEXT NOT NULL,
	PRIMARY KEY (message_id, raw_sha256)
) WITHOUT ROWID;
INSERT INTO seen_k SELECT message_id, raw_sha256, at, outcome FROM seen;
DROP TABLE seen;
ALTER TABLE seen_k RENAME TO seen;

CREATE TABLE outbox_rcpts_k (
	outbox_id	INTEGER NOT NULL REFERENCES outbox(id),
	addr		TEXT NOT NULL,
	status		TEXT NOT NULL DEFAULT 'queued',
	code		TEXT,
	PRIMARY KEY (outbox_id, addr)
) WITHOUT ROWID;
INSERT INTO outbox_rcpts_k SELECT outbox_id, addr, status, code FROM outbox_rcpts;
DROP TABLE outbox_rcpts;
ALTER TABLE outbox_rcpts_k RENAME TO outbox_rcpts;
CREATE INDEX outbox_rcpts_addr ON outbox_rcpts(addr);
