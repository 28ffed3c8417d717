-- 001: the first schema.  Times are unix seconds (UTC).
CREATE TABLE ref_counter (
	prefix	TEXT PRIMARY KEY,
	next	INTEGER NOT NULL
);

CREATE TABLE customers (
	id		INTEGER PRIMARY KEY,
	email		TEXT NOT NULL UNIQUE,
	name		TEXT,
	bouncing	INTEGER NOT NULL DEFAULT 0,
	bounce_status	TEXT,
	created_at	INTEGER NOT NULL
);

CREATE TABLE tickets (
	id			INTEGER PRIMARY KEY,
	ref			TEXT NOT NULL UNIQUE,
	subject			TEXT NOT NULL,
	status			TEXT NOT NULL DEFAULT 'open' CHECK (status IN
				('open','in_progress','waiting','on_hold','resolved','closed')),
	priority		TEXT NOT NULL DEFAULT 'normal' CHECK (priority IN
				('low','normal','high','urgent')),
	queue			TEXT NOT NULL,
	assignee		TEXT,
	customer_id		INTEGER NOT NULL REFERENCES customers(id),
	created_at		INTEGER NOT NULL,
	updated_at		INTEGER NOT NULL,
	first_response_at	INTEGER,
	resolved_at		INTEGER,
	closed_at		INTEGER,
	merged_into		INTEGER REFERENCES tickets(id),
	follows			INTEGER REFERENCES tickets(id),	-- reopened after the window
	first_response_due	INTEGER,
	resolution_due		INTEGER,
	sla_warned		INTEGER NOT NULL DEFAULT 0,
	sla_breached		INTEGER NOT NULL DEFAULT 0,
	csat_rating		INTEGER,
	csat_comment		TEXT
);
CREATE INDEX tickets_status ON tickets(status, updated_at);
CREATE INDEX tickets_customer ON tickets(customer_id);

-- Raw RFC 822 bytes, named by their SHA-256: in data up to 256 KB (one
-- file and two fsyncs less per mail), else in the spool as raw/AB/SHA256.
CREATE TABLE raw_mail (
	sha256		TEXT PRIMARY KEY,
	size		INTEGER NOT NULL,
	stored_at	INTEGER NOT NULL,
	data		BLOB
);

CREATE TABLE messages (
	id		INTEGER PRIMARY KEY,
	ticket_id	INTEGER NOT NULL REFERENCES tickets(id),
	kind		TEXT NOT NULL CHECK (kind IN ('customer','staff','note','system')),
	message_id	TEXT,			-- without <>
	from_addr	TEXT,
	from_name	TEXT,
	date		INTEGER NOT NULL,
	subject		TEXT NOT NULL DEFAULT '',
	body		TEXT NOT NULL DEFAULT '',
	raw_sha256	TEXT REFERENCES raw_mail(sha256),
	class		TEXT,			-- classification at intake
	auto		INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX messages_ticket ON messages(ticket_id, id);
CREATE INDEX messages_msgid ON messages(message_id);

CREATE TABLE attachments (
	id		INTEGER PRIMARY KEY,
	message_id	INTEGER NOT NULL REFERENCES messages(id),
	filename	TEXT NOT NULL,
	content_type	TEXT NOT NULL,
	size		INTEGER NOT NULL,
	sha256		TEXT,			-- NULL when refused
	refused		TEXT
);
CREATE INDEX attachments_message ON attachments(message_id);

CREATE TABLE participants (
	ticket_id	INTEGER NOT NULL REFERENCES tickets(id),
	email		TEXT NOT NULL,
	name		TEXT,
	PRIMARY KEY (ticket_id, email)
);

CREATE TABLE labels (
	ticket_id	INTEGER NOT NULL REFERENCES tickets(id),
	label		TEXT NOT NULL,
	PRIMARY KEY (ticket_id, label)
);

CREATE TABLE events (
	id		INTEGER PRIMARY KEY,
	ticket_id	INTEGER REFERENCES tickets(id),
	at		INTEGER NOT NULL,
	actor		TEXT,
	kind		TEXT NOT NULL,
	detail		TEXT
);
CREATE INDEX events_ticket ON events(ticket_id, id);

-- Mail to send.  raw is the complete message, and the last column, so
-- that reading the others never walks its overflow pages; rcpts one
-- row each.
CREATE TABLE outbox (
	id		INTEGER PRIMARY KEY,
	ticket_id	INTEGER REFERENCES tickets(id),
	event		TEXT NOT NULL,
	message_id	TEXT NOT NULL UNIQUE,	-- ours, without <>
	mail_from	TEXT NOT NULL,
	auto		INTEGER NOT NULL DEFAULT 0,
	status		TEXT NOT NULL DEFAULT 'queued' CHECK (status IN
			('queued','sent','failed','held')),
	created_at	INTEGER NOT NULL,
	next_try	INTEGER NOT NULL,
	tries		INTEGER NOT NULL DEFAULT 0,
	last_error	TEXT,
	sent_at		INTEGER,
	raw		BLOB NOT NULL
);
CREATE INDEX outbox_due ON outbox(status, next_try);
-- The per-ticket rate limit counts from this index alone.
CREATE INDEX outbox_ticket ON outbox(ticket_id, created_at, status);

CREATE TABLE outbox_rcpts (
	outbox_id	INTEGER NOT NULL REFERENCES outbox(id),
	addr		TEXT NOT NULL,
	status		TEXT NOT NULL DEFAULT 'queued',
	code		TEXT,
	PRIMARY KEY (outbox_id, addr)
);
CREATE INDEX outbox_rcpts_addr ON outbox_rcpts(addr);

CREATE TABLE bounces (
	id		INTEGER PRIMARY KEY,
	ticket_id	INTEGER REFERENCES tickets(id),
	outbox_id	INTEGER REFERENCES outbox(id),
	recipient	TEXT,
	status		TEXT,
	reply_code	INTEGER,
	diagnostic	TEXT,
	feedback	INTEGER NOT NULL DEFAULT 0,
	raw_sha256	TEXT REFERENCES raw_mail(sha256),
	at		INTEGER NOT NULL
);

CREATE TABLE quarantine (
	id		INTEGER PRIMARY KEY,
	at		INTEGER NOT NULL,
	reason		TEXT NOT NULL,
	raw_sha256	TEXT NOT NULL REFERENCES raw_mail(sha256),
	source		TEXT NOT NULL,
	mailbox		TEXT,
	from_addr	TEXT,
	subject		TEXT,
	state		TEXT NOT NULL DEFAULT 'held' CHECK (state IN ('held','retried'))
);

-- Every message identity ever taken in: exactly once (SPEC 2).
CREATE TABLE seen (
	message_id	TEXT NOT NULL,		-- '' when the mail had none
	raw_sha256	TEXT NOT NULL,
	at		INTEGER NOT NULL,
	outcome		TEXT NOT NULL,
	PRIMARY KEY (message_id, raw_sha256)
);

CREATE TABLE imap_seen (
	mailbox		TEXT NOT NULL,
	uidvalidity	INTEGER NOT NULL,
	uid		INTEGER NOT NULL,
	at		INTEGER NOT NULL,
	PRIMARY KEY (mailbox, uidvalidity, uid)
);

CREATE VIRTUAL TABLE messages_fts USING fts5(subject, body, from_addr, from_name,
	content='messages', content_rowid='id');
