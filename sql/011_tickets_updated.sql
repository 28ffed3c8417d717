-- 011 speed (issue 12): the status page at 100 000 tickets.
-- The staff list shows the newest tickets first: from this index, not a
-- sort of every ticket (190 ms).
CREATE INDEX IF NOT EXISTS tickets_updated ON tickets(updated_at, id);
-- A ticket is found by its ref in any case (t.ref = ? COLLATE NOCASE),
-- which the UNIQUE index (binary) cannot answer: every ticket was read.
CREATE INDEX IF NOT EXISTS tickets_ref_nocase ON tickets(ref COLLATE NOCASE);
-- The staff list's tabs count the tickets of each status: kept here by
-- triggers instead of counting 100 000 index entries per page.
CREATE TABLE ticket_status_counts (
	status	TEXT PRIMARY KEY,
	n	INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO ticket_status_counts (status, n)
	SELECT status, count(*) FROM tickets GROUP BY status;
CREATE TRIGGER ticket_status_counts_insert AFTER INSERT ON tickets BEGIN
	INSERT INTO ticket_status_counts (status, n) VALUES (NEW.status, 1)
		ON CONFLICT (status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER ticket_status_counts_delete AFTER DELETE ON tickets BEGIN
	UPDATE ticket_status_counts SET n = n - 1 WHERE status = OLD.status;
END;
CREATE TRIGGER ticket_status_counts_update AFTER UPDATE OF status ON tickets
	WHEN OLD.status IS NOT NEW.status BEGIN
	UPDATE ticket_status_counts SET n = n - 1 WHERE status = OLD.status;
	INSERT INTO ticket_status_counts (status, n) VALUES (NEW.status, 1)
		ON CONFLICT (status) DO UPDATE SET n = n + 1;
END;
