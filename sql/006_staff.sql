-- 008: held mail and whom a mail is for (issue 11).
-- audience decides the rate limit (SPEC 3): 'auto' automatic mail to
-- customers (acknowledgements, notices), 'staff' mail to our own staff
-- (a looser limit), 'person' a staff member's relayed reply (never held).
ALTER TABLE outbox ADD COLUMN audience TEXT NOT NULL DEFAULT 'auto';
-- A held mail is released by postdeskd at held_until (its window has
-- passed) or by `postdesk outbox release`; held_until stays as a record.
ALTER TABLE outbox ADD COLUMN held_until INTEGER;
ALTER TABLE outbox ADD COLUMN held_reason TEXT;
CREATE INDEX outbox_held ON outbox(status, held_until);
