-- 010 speed (issue 12): outgoing mail is rendered when it is sent.  A
-- queued row keeps what its mail is made of (params: the template's
-- values, the headers, the attachments by their spool hash; a GVariant)
-- and raw stays empty; rows queued before keep their rendered bytes.
-- keep_sent drops both; this index finds the sent mails holding either.
ALTER TABLE outbox ADD COLUMN params BLOB;
DROP INDEX IF EXISTS outbox_unpruned;
CREATE INDEX outbox_unpruned ON outbox(sent_at)
	WHERE status = 'sent' AND (length(raw) > 0 OR params IS NOT NULL);
