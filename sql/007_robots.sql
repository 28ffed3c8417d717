-- 007 (issue 9): the flood limit counts a sender's new tickets and its
-- flood quarantine of the last hour from these indexes; a bounce
-- records the DSN's Action (failed, delayed, delivered, relayed,
-- expanded; NULL when the report gave none).
CREATE INDEX IF NOT EXISTS tickets_customer_created ON tickets(customer_id, created_at);
CREATE INDEX IF NOT EXISTS quarantine_from ON quarantine(from_addr, at);
ALTER TABLE bounces ADD COLUMN action TEXT;
