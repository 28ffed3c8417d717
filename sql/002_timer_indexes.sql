-- 002: the timers (SPEC 7) find what is due without reading every ticket.
CREATE INDEX tickets_sla_due ON tickets(resolution_due)
	WHERE resolution_due IS NOT NULL AND sla_breached = 0;
CREATE INDEX tickets_resolved_at ON tickets(resolved_at) WHERE status = 'resolved';
