-- 004: the bytes of sent mail are dropped after limits.keep_sent; this
-- index finds the sent mails that still hold theirs.
CREATE INDEX outbox_unpruned ON outbox(sent_at)
	WHERE status = 'sent' AND length(raw) > 0;
