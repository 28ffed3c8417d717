/* hours.c: working hours and holidays (SPEC 7), in the configured zone. */
#include <string.h>

#include "hours.h"

/* The configured zone (a reference): read from the zone files once
 * per name, not for every mail (it was a tenth of queueing one). */
GTimeZone *
hours_zone(const struct pd_config *cfg)
{
	static GMutex lock;
	static char *name;
	static GTimeZone *zone;
	GTimeZone *tz = NULL;

	if (cfg->hours.timezone == NULL)
		return g_time_zone_new_utc();
	g_mutex_lock(&lock);
	if (zone == NULL || strcmp(name, cfg->hours.timezone) != 0) {
		GTimeZone *z = g_time_zone_new_identifier(cfg->hours.timezone);

		if (z) {
			if (zone)
				g_time_zone_unref(zone);
			g_free(name);
			zone = z;
			name = g_strdup(cfg->hours.timezone);
		}
	}
	if (zone && strcmp(name, cfg->hours.timezone) == 0)
		tz = g_time_zone_ref(zone);
	g_mutex_unlock(&lock);
	return tz ? tz : g_time_zone_new_utc();
}

/* 1 when t falls inside the configured working hours. */
int
hours_is_working(const struct pd_config *cfg, gint64 t)
{
	GTimeZone *tz = hours_zone(cfg);
	GDateTime *dt;
	int dow, min, ok;
	char *day;

	dt = g_date_time_new_from_unix_utc(t);
	{
		GDateTime *z = g_date_time_to_timezone(dt, tz);
		g_date_time_unref(dt);
		dt = z;
	}
	dow = g_date_time_get_day_of_week(dt) - 1;	/* 0 = Monday */
	min = g_date_time_get_hour(dt) * 60 + g_date_time_get_minute(dt);
	day = g_date_time_format(dt, "%Y-%m-%d");
	ok = (cfg->hours.days & (1 << dow)) && min >= cfg->hours.start_min &&
	    min < cfg->hours.end_min;
	for (guint i = 0; ok && cfg->hours.holidays && i < cfg->hours.holidays->len; i++)
		if (strcmp(cfg->hours.holidays->pdata[i], day) == 0)
			ok = 0;
	g_free(day);
	g_date_time_unref(dt);
	g_time_zone_unref(tz);
	return ok;
}

/* Seconds of working time added to start (SPEC 7), in the configured
 * zone; walks day by day, at most ten years. */
gint64
hours_add(const struct pd_config *cfg, gint64 start, gint64 secs)
{
	GTimeZone *tz;
	GDateTime *day;
	gint64 left = secs, due = 0;
	gint64 workday = (gint64)(cfg->hours.end_min - cfg->hours.start_min) * 60;

	if (secs <= 0)
		return start;
	/* "3d" means three working days, not 72 working hours; "36h" is
	 * 36 working hours. */
	if (secs % 86400 == 0 && workday > 0)
		left = secs / 86400 * workday;
	tz = hours_zone(cfg);
	{
		GDateTime *u = g_date_time_new_from_unix_utc(start);
		GDateTime *l = g_date_time_to_timezone(u, tz);
		day = g_date_time_new(tz, g_date_time_get_year(l), g_date_time_get_month(l),
		    g_date_time_get_day_of_month(l), 0, 0, 0);
		g_date_time_unref(u);
		g_date_time_unref(l);
	}
	for (int i = 0; i < 3660 && due == 0; i++) {
		int dow = g_date_time_get_day_of_week(day) - 1;
		char *ymd = g_date_time_format(day, "%Y-%m-%d");
		int work = (cfg->hours.days & (1 << dow)) != 0;
		GDateTime *next;

		for (guint h = 0; work && cfg->hours.holidays && h < cfg->hours.holidays->len; h++)
			if (strcmp(cfg->hours.holidays->pdata[h], ymd) == 0)
				work = 0;
		g_free(ymd);
		if (work) {
			gint64 base = g_date_time_to_unix(day);
			gint64 from = base + cfg->hours.start_min * 60;
			gint64 to = base + cfg->hours.end_min * 60;
			if (from < start)
				from = start;
			if (to > from) {
				if (to - from >= left)
					due = from + left;
				else
					left -= to - from;
			}
		}
		next = g_date_time_add_days(day, 1);
		g_date_time_unref(day);
		day = next;
	}
	g_date_time_unref(day);
	g_time_zone_unref(tz);
	return due ? due : start + secs;
}

