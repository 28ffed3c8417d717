/* test_hours.c: time counted in working hours and holidays (SPEC 7). */
#include <glib.h>

#include "config.h"
#include "hours.h"
#include "test.h"

/* 2026-11-23 is a Monday.  Berlin is UTC+1 in November. */
static gint64
at(const char *iso)
{
	GDateTime *dt = g_date_time_new_from_iso8601(iso, NULL);
	gint64 t = g_date_time_to_unix(dt);

	g_date_time_unref(dt);
	return t;
}

int
main(void)
{
	struct pd_config cfg = { 0 };
	static const struct {
		const char *start;
		gint64 secs;
		const char *want;
		const char *what;
	} add[] = {
		{ "2026-11-23T10:00:00+01:00", 3600, "2026-11-23T11:00:00+01:00",
		  "inside the day" },
		{ "2026-11-23T16:00:00+01:00", 2 * 3600, "2026-11-24T10:00:00+01:00",
		  "runs over the evening into the next morning" },
		{ "2026-11-23T07:00:00+01:00", 3600, "2026-11-23T10:00:00+01:00",
		  "before opening: counted from 09:00" },
		{ "2026-11-27T16:30:00+01:00", 3600, "2026-11-30T09:30:00+01:00",
		  "Friday afternoon: over the weekend" },
		{ "2026-11-28T12:00:00+01:00", 8 * 3600, "2026-11-30T17:00:00+01:00",
		  "a Saturday start counts from Monday" },
		{ "2026-12-24T16:00:00+01:00", 2 * 3600, "2026-12-28T10:00:00+01:00",
		  "the holidays 25 and 26 December and the weekend are skipped" },
		{ "2026-11-23T10:00:00+01:00", 3 * 86400, "2026-11-26T10:00:00+01:00",
		  "3d is three working days" },
		{ "2026-11-27T10:00:00+01:00", 86400, "2026-11-30T10:00:00+01:00",
		  "1d on a Friday: Monday, same time" },
		{ "2026-11-23T10:00:00+01:00", 36 * 3600, "2026-11-27T14:00:00+01:00",
		  "36h is 36 working hours: 7 + 8 + 8 + 8 + 5" },
		{ "2026-11-23T10:00:00+01:00", 0, "2026-11-23T10:00:00+01:00",
		  "nothing to add" },
	};
	static const struct {
		const char *t;
		int working;
	} in[] = {
		{ "2026-11-23T08:59:59+01:00", 0 }, { "2026-11-23T09:00:00+01:00", 1 },
		{ "2026-11-23T16:59:59+01:00", 1 }, { "2026-11-23T17:00:00+01:00", 0 },
		{ "2026-11-28T12:00:00+01:00", 0 }, { "2026-12-25T12:00:00+01:00", 0 },
		{ "2026-11-23T08:30:00Z", 1 },	/* 09:30 in Berlin */
	};

	cfg.hours.timezone = "Europe/Berlin";
	cfg.hours.days = 0x1f;			/* Mon-Fri */
	cfg.hours.start_min = 9 * 60;
	cfg.hours.end_min = 17 * 60;
	cfg.hours.holidays = g_ptr_array_new();
	g_ptr_array_add(cfg.hours.holidays, "2026-12-25");
	g_ptr_array_add(cfg.hours.holidays, "2026-12-26");

	for (size_t i = 0; i < G_N_ELEMENTS(add); i++)
		TEST_INT(hours_add(&cfg, at(add[i].start), add[i].secs), at(add[i].want),
		    "hours_add: %s", add[i].what);
	for (size_t i = 0; i < G_N_ELEMENTS(in); i++)
		TEST_INT(hours_is_working(&cfg, at(in[i].t)), in[i].working,
		    "hours_is_working %s", in[i].t);

	/* No timezone configured: UTC. */
	cfg.hours.timezone = NULL;
	TEST_INT(hours_add(&cfg, at("2026-11-23T16:00:00Z"), 3600), at("2026-11-23T17:00:00Z"),
	    "UTC when no zone is set");
	g_ptr_array_unref(cfg.hours.holidays);
	return test_done();
}
