-- 006: the new text of a message, without what it quotes (issue 10).
-- body keeps the full text; NULL here means the visible text is the
-- body (staff replies, notes, and every message stored before).
ALTER TABLE messages ADD COLUMN visible_text TEXT;
