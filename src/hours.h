/* hours.h: time counted in working hours (SPEC 7). */
#ifndef PD_HOURS_H
#define PD_HOURS_H

#include "config.h"

/* The configured time zone (UTC when none or unknown); caller unrefs. */
GTimeZone *hours_zone(const struct pd_config *cfg);
/* 1 when t falls inside the configured working hours. */
int hours_is_working(const struct pd_config *cfg, gint64 t);
/* start plus secs of working time (days, hours, holidays in the zone).
 * A whole number of days counts working days ("3d": three working
 * days); anything else counts working hours ("36h"). */
gint64 hours_add(const struct pd_config *cfg, gint64 start, gint64 secs);

#endif
