-- (issue 13, the status page) read marks: the last customer message each
-- agent has seen of a ticket (the staff list marks the others unread);
-- written only for a staff member the web server signed in.
CREATE TABLE IF NOT EXISTS read_marks (
	staff		TEXT NOT NULL,		-- staff email, lower case
	ticket_id	INTEGER NOT NULL REFERENCES tickets(id),
	message_id	INTEGER NOT NULL,	-- messages.id last seen
	at		INTEGER NOT NULL,
	PRIMARY KEY (staff, ticket_id)
);
-- The lookup form's requests ("mail me my tickets"), recorded alike
-- whether the address is a customer's or not; the daemon sends the links
-- and deletes the rows.  The page keeps at most a fixed number pending.
CREATE TABLE IF NOT EXISTS lookups (
	id		INTEGER PRIMARY KEY,
	at		INTEGER NOT NULL,
	email		TEXT NOT NULL,
	ref		TEXT
);
