-- 003: the first-response time is watched too (SPEC 7): told once when
-- it passes with no staff answer.
ALTER TABLE tickets ADD COLUMN sla_first_breached INTEGER NOT NULL DEFAULT 0;
CREATE INDEX tickets_first_due ON tickets(first_response_due)
	WHERE first_response_due IS NOT NULL AND first_response_at IS NULL
	AND sla_first_breached = 0;
