-- 013 disk (issue 12): a message's visible text is almost always the
-- start of its body (the new text above what it quotes), and a second
-- copy of it was a third of the text's bytes.  visible_len is then its
-- length in bytes and visible_text NULL; visible_text keeps the text
-- only when it is not a prefix.  message_texts reads either.
ALTER TABLE messages ADD COLUMN visible_len INTEGER;
UPDATE messages SET visible_len = length(CAST(visible_text AS BLOB)), visible_text = NULL
	WHERE visible_text IS NOT NULL AND visible_text != ''
	AND substr(CAST(body AS BLOB), 1, length(CAST(visible_text AS BLOB))) =
	    CAST(visible_text AS BLOB);
CREATE VIEW message_texts AS SELECT id, body,
	COALESCE(visible_text, CAST(substr(CAST(body AS BLOB), 1, visible_len) AS TEXT), body)
	AS visible FROM messages;
