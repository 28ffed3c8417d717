/* test_ticket.c: the lifecycle machine of src/ticket.c (issue 7).
 *
 * 1. The names of the statuses and priorities are those of the SQL
 *    CHECK constraints, read back from sqlite_master.
 * 2. rows[] below, written from SPEC 1, 4, 5 and 7, gives for every
 *    (status, event, target) the new status, the timestamps set or
 *    cleared, the record (events.kind and detail, "X" standing for the
 *    event's detail) and the SPEC 6 mails; ticket_rule must give exactly
 *    that, and "-" where the event does not apply.
 * 3. Every row is then run on a real database, first through
 *    ticket_apply, then through each actor that can cause it -- a mail
 *    through intake_process, `postdesk set` through cli_main, the status
 *    page's Close and rating through cgi_main, its reply form and the
 *    staff page's actions through cgi_main too, the timers through
 *    timers_run -- and every actor must give the same row: the status,
 *    the timestamps, the record and the mails queued with their
 *    recipients (mail_to[] below). */
#include <sys/wait.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdnoreturn.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "test.h"
#include "src/cgi.h"
#include "src/cli.h"
#include "src/config.h"
#include "src/intake.h"
#include "src/store.h"
#include "src/ticket.h"
#include "src/ticket_view.h"
#include "src/timers.h"
#include "src/token.h"
#include "src/util.h"

struct row {
	const char	*from, *event, *target;
	const char	*to;		/* "-": does not apply */
	const char	*stamps;	/* TS_* names, in stamp_names order */
	const char	*kind, *text;	/* the record, "" none */
	const char	*mails;		/* SPEC 6 events, comma-separated */
};

static const struct row rows[] = {
	{ "open", "create", "", "open", "", "", "", "ticket_created,staff_new_ticket" },
	{ "open", "customer_reply", "", "open", "", "", "", "staff_customer_reply" },
	{ "open", "auto_reply", "", "open", "", "", "", "" },
	{ "open", "staff_reply", "", "waiting", "first_response", "status", "status: open -> waiting", "staff_reply" },
	{ "open", "staff_reply", "open", "open", "first_response", "", "", "staff_reply" },
	{ "open", "staff_reply", "in_progress", "in_progress", "first_response", "status", "status: open -> in_progress", "staff_reply" },
	{ "open", "staff_reply", "waiting", "waiting", "first_response", "status", "status: open -> waiting", "staff_reply" },
	{ "open", "staff_reply", "on_hold", "on_hold", "first_response", "status", "status: open -> on_hold", "staff_reply" },
	{ "open", "staff_reply", "resolved", "resolved", "first_response resolved unclose", "status", "status: open -> resolved", "staff_reply,ticket_resolved" },
	{ "open", "staff_reply", "closed", "closed", "first_response closed", "status", "status: open -> closed", "staff_reply,ticket_closed" },
	{ "open", "staff_note", "", "open", "", "", "", "" },
	{ "open", "staff_status", "open", "open", "", "", "", "" },
	{ "open", "staff_status", "in_progress", "in_progress", "", "status", "status: open -> in_progress", "status_changed" },
	{ "open", "staff_status", "waiting", "waiting", "", "status", "status: open -> waiting", "status_changed" },
	{ "open", "staff_status", "on_hold", "on_hold", "", "status", "status: open -> on_hold", "status_changed" },
	{ "open", "staff_status", "resolved", "resolved", "resolved unclose", "status", "status: open -> resolved", "ticket_resolved" },
	{ "open", "staff_status", "closed", "closed", "closed", "status", "status: open -> closed", "ticket_closed" },
	{ "open", "cli_set", "open", "open", "", "", "", "" },
	{ "open", "cli_set", "in_progress", "in_progress", "", "status", "status: open -> in_progress", "status_changed" },
	{ "open", "cli_set", "waiting", "waiting", "", "status", "status: open -> waiting", "status_changed" },
	{ "open", "cli_set", "on_hold", "on_hold", "", "status", "status: open -> on_hold", "status_changed" },
	{ "open", "cli_set", "resolved", "resolved", "resolved unclose", "status", "status: open -> resolved", "ticket_resolved" },
	{ "open", "cli_set", "closed", "closed", "closed", "status", "status: open -> closed", "ticket_closed" },
	{ "open", "priority", "low", "open", "sla_due", "priority", "priority: normal -> low", "" },
	{ "open", "priority", "normal", "open", "", "", "", "" },
	{ "open", "priority", "high", "open", "sla_due", "priority", "priority: normal -> high", "" },
	{ "open", "priority", "urgent", "open", "sla_due", "priority", "priority: normal -> urgent", "" },
	{ "open", "escalate", "", "open", "sla_due", "escalate", "escalated: X (priority: normal -> urgent)", "ticket_escalated" },
	{ "open", "assign", "", "open", "", "assign", "assignee: X", "ticket_assigned" },
	{ "open", "web_close", "", "closed", "closed", "status", "status: open -> closed (by the customer on the status page)", "ticket_closed" },
	{ "open", "csat", "", "-", "", "", "", "" },
	{ "open", "sla_warning", "", "open", "sla_warned", "sla_warning", "SLA warning: 75 % of the resolution time has passed (resolution due X)", "sla_warning" },
	{ "open", "sla_breach", "", "open", "sla_warned sla_breached", "sla_breached", "SLA breached: the resolution time has passed (resolution due X)", "sla_breached" },
	{ "open", "sla_first_late", "", "open", "sla_first", "sla_first_response", "SLA: no first response by its due time (first response due X)", "sla_first_response" },
	{ "open", "auto_close", "", "-", "", "", "", "" },
	{ "open", "merge", "", "closed", "closed", "status", "status: open -> closed (merged into X)", "" },
	{ "open", "reopen_late", "", "-", "", "", "", "" },
	{ "in_progress", "create", "", "-", "", "", "", "" },
	{ "in_progress", "customer_reply", "", "in_progress", "", "", "", "staff_customer_reply" },
	{ "in_progress", "auto_reply", "", "in_progress", "", "", "", "" },
	{ "in_progress", "staff_reply", "", "waiting", "first_response", "status", "status: in_progress -> waiting", "staff_reply" },
	{ "in_progress", "staff_reply", "open", "open", "first_response", "status", "status: in_progress -> open", "staff_reply" },
	{ "in_progress", "staff_reply", "in_progress", "in_progress", "first_response", "", "", "staff_reply" },
	{ "in_progress", "staff_reply", "waiting", "waiting", "first_response", "status", "status: in_progress -> waiting", "staff_reply" },
	{ "in_progress", "staff_reply", "on_hold", "on_hold", "first_response", "status", "status: in_progress -> on_hold", "staff_reply" },
	{ "in_progress", "staff_reply", "resolved", "resolved", "first_response resolved unclose", "status", "status: in_progress -> resolved", "staff_reply,ticket_resolved" },
	{ "in_progress", "staff_reply", "closed", "closed", "first_response closed", "status", "status: in_progress -> closed", "staff_reply,ticket_closed" },
	{ "in_progress", "staff_note", "", "in_progress", "", "", "", "" },
	{ "in_progress", "staff_status", "open", "open", "", "status", "status: in_progress -> open", "status_changed" },
	{ "in_progress", "staff_status", "in_progress", "in_progress", "", "", "", "" },
	{ "in_progress", "staff_status", "waiting", "waiting", "", "status", "status: in_progress -> waiting", "status_changed" },
	{ "in_progress", "staff_status", "on_hold", "on_hold", "", "status", "status: in_progress -> on_hold", "status_changed" },
	{ "in_progress", "staff_status", "resolved", "resolved", "resolved unclose", "status", "status: in_progress -> resolved", "ticket_resolved" },
	{ "in_progress", "staff_status", "closed", "closed", "closed", "status", "status: in_progress -> closed", "ticket_closed" },
	{ "in_progress", "cli_set", "open", "open", "", "status", "status: in_progress -> open", "status_changed" },
	{ "in_progress", "cli_set", "in_progress", "in_progress", "", "", "", "" },
	{ "in_progress", "cli_set", "waiting", "waiting", "", "status", "status: in_progress -> waiting", "status_changed" },
	{ "in_progress", "cli_set", "on_hold", "on_hold", "", "status", "status: in_progress -> on_hold", "status_changed" },
	{ "in_progress", "cli_set", "resolved", "resolved", "resolved unclose", "status", "status: in_progress -> resolved", "ticket_resolved" },
	{ "in_progress", "cli_set", "closed", "closed", "closed", "status", "status: in_progress -> closed", "ticket_closed" },
	{ "in_progress", "priority", "low", "in_progress", "sla_due", "priority", "priority: normal -> low", "" },
	{ "in_progress", "priority", "normal", "in_progress", "", "", "", "" },
	{ "in_progress", "priority", "high", "in_progress", "sla_due", "priority", "priority: normal -> high", "" },
	{ "in_progress", "priority", "urgent", "in_progress", "sla_due", "priority", "priority: normal -> urgent", "" },
	{ "in_progress", "escalate", "", "in_progress", "sla_due", "escalate", "escalated: X (priority: normal -> urgent)", "ticket_escalated" },
	{ "in_progress", "assign", "", "in_progress", "", "assign", "assignee: X", "ticket_assigned" },
	{ "in_progress", "web_close", "", "closed", "closed", "status", "status: in_progress -> closed (by the customer on the status page)", "ticket_closed" },
	{ "in_progress", "csat", "", "-", "", "", "", "" },
	{ "in_progress", "sla_warning", "", "in_progress", "sla_warned", "sla_warning", "SLA warning: 75 % of the resolution time has passed (resolution due X)", "sla_warning" },
	{ "in_progress", "sla_breach", "", "in_progress", "sla_warned sla_breached", "sla_breached", "SLA breached: the resolution time has passed (resolution due X)", "sla_breached" },
	{ "in_progress", "sla_first_late", "", "in_progress", "sla_first", "sla_first_response", "SLA: no first response by its due time (first response due X)", "sla_first_response" },
	{ "in_progress", "auto_close", "", "-", "", "", "", "" },
	{ "in_progress", "merge", "", "closed", "closed", "status", "status: in_progress -> closed (merged into X)", "" },
	{ "in_progress", "reopen_late", "", "-", "", "", "", "" },
	{ "waiting", "create", "", "-", "", "", "", "" },
	{ "waiting", "customer_reply", "", "open", "", "status", "status: waiting -> open", "staff_customer_reply" },
	{ "waiting", "auto_reply", "", "waiting", "", "", "", "" },
	{ "waiting", "staff_reply", "", "waiting", "first_response", "", "", "staff_reply" },
	{ "waiting", "staff_reply", "open", "open", "first_response", "status", "status: waiting -> open", "staff_reply" },
	{ "waiting", "staff_reply", "in_progress", "in_progress", "first_response", "status", "status: waiting -> in_progress", "staff_reply" },
	{ "waiting", "staff_reply", "waiting", "waiting", "first_response", "", "", "staff_reply" },
	{ "waiting", "staff_reply", "on_hold", "on_hold", "first_response", "status", "status: waiting -> on_hold", "staff_reply" },
	{ "waiting", "staff_reply", "resolved", "resolved", "first_response resolved unclose", "status", "status: waiting -> resolved", "staff_reply,ticket_resolved" },
	{ "waiting", "staff_reply", "closed", "closed", "first_response closed", "status", "status: waiting -> closed", "staff_reply,ticket_closed" },
	{ "waiting", "staff_note", "", "waiting", "", "", "", "" },
	{ "waiting", "staff_status", "open", "open", "", "status", "status: waiting -> open", "status_changed" },
	{ "waiting", "staff_status", "in_progress", "in_progress", "", "status", "status: waiting -> in_progress", "status_changed" },
	{ "waiting", "staff_status", "waiting", "waiting", "", "", "", "" },
	{ "waiting", "staff_status", "on_hold", "on_hold", "", "status", "status: waiting -> on_hold", "status_changed" },
	{ "waiting", "staff_status", "resolved", "resolved", "resolved unclose", "status", "status: waiting -> resolved", "ticket_resolved" },
	{ "waiting", "staff_status", "closed", "closed", "closed", "status", "status: waiting -> closed", "ticket_closed" },
	{ "waiting", "cli_set", "open", "open", "", "status", "status: waiting -> open", "status_changed" },
	{ "waiting", "cli_set", "in_progress", "in_progress", "", "status", "status: waiting -> in_progress", "status_changed" },
	{ "waiting", "cli_set", "waiting", "waiting", "", "", "", "" },
	{ "waiting", "cli_set", "on_hold", "on_hold", "", "status", "status: waiting -> on_hold", "status_changed" },
	{ "waiting", "cli_set", "resolved", "resolved", "resolved unclose", "status", "status: waiting -> resolved", "ticket_resolved" },
	{ "waiting", "cli_set", "closed", "closed", "closed", "status", "status: waiting -> closed", "ticket_closed" },
	{ "waiting", "priority", "low", "waiting", "sla_due", "priority", "priority: normal -> low", "" },
	{ "waiting", "priority", "normal", "waiting", "", "", "", "" },
	{ "waiting", "priority", "high", "waiting", "sla_due", "priority", "priority: normal -> high", "" },
	{ "waiting", "priority", "urgent", "waiting", "sla_due", "priority", "priority: normal -> urgent", "" },
	{ "waiting", "escalate", "", "waiting", "sla_due", "escalate", "escalated: X (priority: normal -> urgent)", "ticket_escalated" },
	{ "waiting", "assign", "", "waiting", "", "assign", "assignee: X", "ticket_assigned" },
	{ "waiting", "web_close", "", "closed", "closed", "status", "status: waiting -> closed (by the customer on the status page)", "ticket_closed" },
	{ "waiting", "csat", "", "-", "", "", "", "" },
	{ "waiting", "sla_warning", "", "waiting", "sla_warned", "sla_warning", "SLA warning: 75 % of the resolution time has passed (resolution due X)", "sla_warning" },
	{ "waiting", "sla_breach", "", "waiting", "sla_warned sla_breached", "sla_breached", "SLA breached: the resolution time has passed (resolution due X)", "sla_breached" },
	{ "waiting", "sla_first_late", "", "waiting", "sla_first", "sla_first_response", "SLA: no first response by its due time (first response due X)", "sla_first_response" },
	{ "waiting", "auto_close", "", "-", "", "", "", "" },
	{ "waiting", "merge", "", "closed", "closed", "status", "status: waiting -> closed (merged into X)", "" },
	{ "waiting", "reopen_late", "", "-", "", "", "", "" },
	{ "on_hold", "create", "", "-", "", "", "", "" },
	{ "on_hold", "customer_reply", "", "on_hold", "", "", "", "staff_customer_reply" },
	{ "on_hold", "auto_reply", "", "on_hold", "", "", "", "" },
	{ "on_hold", "staff_reply", "", "waiting", "first_response", "status", "status: on_hold -> waiting", "staff_reply" },
	{ "on_hold", "staff_reply", "open", "open", "first_response", "status", "status: on_hold -> open", "staff_reply" },
	{ "on_hold", "staff_reply", "in_progress", "in_progress", "first_response", "status", "status: on_hold -> in_progress", "staff_reply" },
	{ "on_hold", "staff_reply", "waiting", "waiting", "first_response", "status", "status: on_hold -> waiting", "staff_reply" },
	{ "on_hold", "staff_reply", "on_hold", "on_hold", "first_response", "", "", "staff_reply" },
	{ "on_hold", "staff_reply", "resolved", "resolved", "first_response resolved unclose", "status", "status: on_hold -> resolved", "staff_reply,ticket_resolved" },
	{ "on_hold", "staff_reply", "closed", "closed", "first_response closed", "status", "status: on_hold -> closed", "staff_reply,ticket_closed" },
	{ "on_hold", "staff_note", "", "on_hold", "", "", "", "" },
	{ "on_hold", "staff_status", "open", "open", "", "status", "status: on_hold -> open", "status_changed" },
	{ "on_hold", "staff_status", "in_progress", "in_progress", "", "status", "status: on_hold -> in_progress", "status_changed" },
	{ "on_hold", "staff_status", "waiting", "waiting", "", "status", "status: on_hold -> waiting", "status_changed" },
	{ "on_hold", "staff_status", "on_hold", "on_hold", "", "", "", "" },
	{ "on_hold", "staff_status", "resolved", "resolved", "resolved unclose", "status", "status: on_hold -> resolved", "ticket_resolved" },
	{ "on_hold", "staff_status", "closed", "closed", "closed", "status", "status: on_hold -> closed", "ticket_closed" },
	{ "on_hold", "cli_set", "open", "open", "", "status", "status: on_hold -> open", "status_changed" },
	{ "on_hold", "cli_set", "in_progress", "in_progress", "", "status", "status: on_hold -> in_progress", "status_changed" },
	{ "on_hold", "cli_set", "waiting", "waiting", "", "status", "status: on_hold -> waiting", "status_changed" },
	{ "on_hold", "cli_set", "on_hold", "on_hold", "", "", "", "" },
	{ "on_hold", "cli_set", "resolved", "resolved", "resolved unclose", "status", "status: on_hold -> resolved", "ticket_resolved" },
	{ "on_hold", "cli_set", "closed", "closed", "closed", "status", "status: on_hold -> closed", "ticket_closed" },
	{ "on_hold", "priority", "low", "on_hold", "sla_due", "priority", "priority: normal -> low", "" },
	{ "on_hold", "priority", "normal", "on_hold", "", "", "", "" },
	{ "on_hold", "priority", "high", "on_hold", "sla_due", "priority", "priority: normal -> high", "" },
	{ "on_hold", "priority", "urgent", "on_hold", "sla_due", "priority", "priority: normal -> urgent", "" },
	{ "on_hold", "escalate", "", "on_hold", "sla_due", "escalate", "escalated: X (priority: normal -> urgent)", "ticket_escalated" },
	{ "on_hold", "assign", "", "on_hold", "", "assign", "assignee: X", "ticket_assigned" },
	{ "on_hold", "web_close", "", "closed", "closed", "status", "status: on_hold -> closed (by the customer on the status page)", "ticket_closed" },
	{ "on_hold", "csat", "", "-", "", "", "", "" },
	{ "on_hold", "sla_warning", "", "on_hold", "sla_warned", "sla_warning", "SLA warning: 75 % of the resolution time has passed (resolution due X)", "sla_warning" },
	{ "on_hold", "sla_breach", "", "on_hold", "sla_warned sla_breached", "sla_breached", "SLA breached: the resolution time has passed (resolution due X)", "sla_breached" },
	{ "on_hold", "sla_first_late", "", "on_hold", "sla_first", "sla_first_response", "SLA: no first response by its due time (first response due X)", "sla_first_response" },
	{ "on_hold", "auto_close", "", "-", "", "", "", "" },
	{ "on_hold", "merge", "", "closed", "closed", "status", "status: on_hold -> closed (merged into X)", "" },
	{ "on_hold", "reopen_late", "", "-", "", "", "", "" },
	{ "resolved", "create", "", "-", "", "", "", "" },
	{ "resolved", "customer_reply", "", "open", "unresolve unclose", "status", "status: resolved -> open", "ticket_reopened,staff_customer_reply" },
	{ "resolved", "auto_reply", "", "resolved", "", "", "", "" },
	{ "resolved", "staff_reply", "", "waiting", "first_response unresolve unclose", "status", "status: resolved -> waiting", "staff_reply" },
	{ "resolved", "staff_reply", "open", "open", "first_response unresolve unclose", "status", "status: resolved -> open", "staff_reply" },
	{ "resolved", "staff_reply", "in_progress", "in_progress", "first_response unresolve unclose", "status", "status: resolved -> in_progress", "staff_reply" },
	{ "resolved", "staff_reply", "waiting", "waiting", "first_response unresolve unclose", "status", "status: resolved -> waiting", "staff_reply" },
	{ "resolved", "staff_reply", "on_hold", "on_hold", "first_response unresolve unclose", "status", "status: resolved -> on_hold", "staff_reply" },
	{ "resolved", "staff_reply", "resolved", "resolved", "first_response", "", "", "staff_reply" },
	{ "resolved", "staff_reply", "closed", "closed", "first_response closed", "status", "status: resolved -> closed", "staff_reply,ticket_closed" },
	{ "resolved", "staff_note", "", "resolved", "", "", "", "" },
	{ "resolved", "staff_status", "open", "open", "unresolve unclose", "status", "status: resolved -> open", "ticket_reopened" },
	{ "resolved", "staff_status", "in_progress", "in_progress", "unresolve unclose", "status", "status: resolved -> in_progress", "ticket_reopened" },
	{ "resolved", "staff_status", "waiting", "waiting", "unresolve unclose", "status", "status: resolved -> waiting", "ticket_reopened" },
	{ "resolved", "staff_status", "on_hold", "on_hold", "unresolve unclose", "status", "status: resolved -> on_hold", "ticket_reopened" },
	{ "resolved", "staff_status", "resolved", "resolved", "", "", "", "" },
	{ "resolved", "staff_status", "closed", "closed", "closed", "status", "status: resolved -> closed", "ticket_closed" },
	{ "resolved", "cli_set", "open", "open", "unresolve unclose", "status", "status: resolved -> open", "ticket_reopened" },
	{ "resolved", "cli_set", "in_progress", "in_progress", "unresolve unclose", "status", "status: resolved -> in_progress", "ticket_reopened" },
	{ "resolved", "cli_set", "waiting", "waiting", "unresolve unclose", "status", "status: resolved -> waiting", "ticket_reopened" },
	{ "resolved", "cli_set", "on_hold", "on_hold", "unresolve unclose", "status", "status: resolved -> on_hold", "ticket_reopened" },
	{ "resolved", "cli_set", "resolved", "resolved", "", "", "", "" },
	{ "resolved", "cli_set", "closed", "closed", "closed", "status", "status: resolved -> closed", "ticket_closed" },
	{ "resolved", "priority", "low", "resolved", "sla_due", "priority", "priority: normal -> low", "" },
	{ "resolved", "priority", "normal", "resolved", "", "", "", "" },
	{ "resolved", "priority", "high", "resolved", "sla_due", "priority", "priority: normal -> high", "" },
	{ "resolved", "priority", "urgent", "resolved", "sla_due", "priority", "priority: normal -> urgent", "" },
	{ "resolved", "escalate", "", "resolved", "sla_due", "escalate", "escalated: X (priority: normal -> urgent)", "ticket_escalated" },
	{ "resolved", "assign", "", "resolved", "", "assign", "assignee: X", "ticket_assigned" },
	{ "resolved", "web_close", "", "closed", "closed", "status", "status: resolved -> closed (by the customer on the status page)", "ticket_closed" },
	{ "resolved", "csat", "", "resolved", "", "csat", "rating X", "" },
	{ "resolved", "sla_warning", "", "-", "", "", "", "" },
	{ "resolved", "sla_breach", "", "-", "", "", "", "" },
	{ "resolved", "sla_first_late", "", "-", "", "", "", "" },
	{ "resolved", "auto_close", "", "closed", "closed", "status", "status: resolved -> closed (auto-close)", "ticket_closed" },
	{ "resolved", "merge", "", "closed", "closed", "status", "status: resolved -> closed (merged into X)", "" },
	{ "resolved", "reopen_late", "", "resolved", "", "followed", "a reply after the reopen window opened X", "" },
	{ "closed", "create", "", "-", "", "", "", "" },
	{ "closed", "customer_reply", "", "open", "unresolve unclose", "status", "status: closed -> open", "ticket_reopened,staff_customer_reply" },
	{ "closed", "auto_reply", "", "closed", "", "", "", "" },
	{ "closed", "staff_reply", "", "waiting", "first_response unresolve unclose", "status", "status: closed -> waiting", "staff_reply" },
	{ "closed", "staff_reply", "open", "open", "first_response unresolve unclose", "status", "status: closed -> open", "staff_reply" },
	{ "closed", "staff_reply", "in_progress", "in_progress", "first_response unresolve unclose", "status", "status: closed -> in_progress", "staff_reply" },
	{ "closed", "staff_reply", "waiting", "waiting", "first_response unresolve unclose", "status", "status: closed -> waiting", "staff_reply" },
	{ "closed", "staff_reply", "on_hold", "on_hold", "first_response unresolve unclose", "status", "status: closed -> on_hold", "staff_reply" },
	{ "closed", "staff_reply", "resolved", "resolved", "first_response resolved unclose", "status", "status: closed -> resolved", "staff_reply,ticket_resolved" },
	{ "closed", "staff_reply", "closed", "closed", "first_response", "", "", "staff_reply" },
	{ "closed", "staff_note", "", "closed", "", "", "", "" },
	{ "closed", "staff_status", "open", "open", "unresolve unclose", "status", "status: closed -> open", "ticket_reopened" },
	{ "closed", "staff_status", "in_progress", "in_progress", "unresolve unclose", "status", "status: closed -> in_progress", "ticket_reopened" },
	{ "closed", "staff_status", "waiting", "waiting", "unresolve unclose", "status", "status: closed -> waiting", "ticket_reopened" },
	{ "closed", "staff_status", "on_hold", "on_hold", "unresolve unclose", "status", "status: closed -> on_hold", "ticket_reopened" },
	{ "closed", "staff_status", "resolved", "resolved", "resolved unclose", "status", "status: closed -> resolved", "ticket_resolved" },
	{ "closed", "staff_status", "closed", "closed", "", "", "", "" },
	{ "closed", "cli_set", "open", "open", "unresolve unclose", "status", "status: closed -> open", "ticket_reopened" },
	{ "closed", "cli_set", "in_progress", "in_progress", "unresolve unclose", "status", "status: closed -> in_progress", "ticket_reopened" },
	{ "closed", "cli_set", "waiting", "waiting", "unresolve unclose", "status", "status: closed -> waiting", "ticket_reopened" },
	{ "closed", "cli_set", "on_hold", "on_hold", "unresolve unclose", "status", "status: closed -> on_hold", "ticket_reopened" },
	{ "closed", "cli_set", "resolved", "resolved", "resolved unclose", "status", "status: closed -> resolved", "ticket_resolved" },
	{ "closed", "cli_set", "closed", "closed", "", "", "", "" },
	{ "closed", "priority", "low", "closed", "sla_due", "priority", "priority: normal -> low", "" },
	{ "closed", "priority", "normal", "closed", "", "", "", "" },
	{ "closed", "priority", "high", "closed", "sla_due", "priority", "priority: normal -> high", "" },
	{ "closed", "priority", "urgent", "closed", "sla_due", "priority", "priority: normal -> urgent", "" },
	{ "closed", "escalate", "", "closed", "sla_due", "escalate", "escalated: X (priority: normal -> urgent)", "ticket_escalated" },
	{ "closed", "assign", "", "closed", "", "assign", "assignee: X", "ticket_assigned" },
	{ "closed", "web_close", "", "-", "", "", "", "" },
	{ "closed", "csat", "", "closed", "", "csat", "rating X", "" },
	{ "closed", "sla_warning", "", "-", "", "", "", "" },
	{ "closed", "sla_breach", "", "-", "", "", "", "" },
	{ "closed", "sla_first_late", "", "-", "", "", "", "" },
	{ "closed", "auto_close", "", "-", "", "", "", "" },
	{ "closed", "merge", "", "closed", "", "merge", "merged into X", "" },
	{ "closed", "reopen_late", "", "closed", "", "followed", "a reply after the reopen window opened X", "" },
};

static const struct { unsigned bit; const char *name; } stamp_names[] = {
	{ TS_FIRST_RESPONSE, "first_response" }, { TS_RESOLVED, "resolved" },
	{ TS_UNRESOLVE, "unresolve" }, { TS_CLOSED, "closed" }, { TS_UNCLOSE, "unclose" },
	{ TS_SLA_WARNED, "sla_warned" }, { TS_SLA_BREACHED, "sla_breached" },
	{ TS_SLA_FIRST, "sla_first" }, { TS_SLA_DUE, "sla_due" },
};

/* Who gets each mail in this test's desk: ticket TKT-0001 of carol, with
 * participant dan (and our own support address, never mailed), no
 * assignee, queue staff alice (admin) and bob; staff act as bob and
 * assign alice.  One outbox row per "|"-separated part. */
static const struct { const char *event, *to; } mail_to[] = {
	{ "ticket_created", "carol@example.org" },
	{ "staff_new_ticket", "alice@example.com|bob@example.com" },
	{ "staff_customer_reply", "alice@example.com|bob@example.com" },
	{ "staff_reply", "carol@example.org+dan@example.net" },
	{ "status_changed", "carol@example.org" },
	{ "ticket_resolved", "carol@example.org" },
	{ "ticket_closed", "carol@example.org" },
	{ "ticket_reopened", "carol@example.org" },
	{ "sla_warning", "alice@example.com|bob@example.com" },
	{ "sla_breached", "alice@example.com|bob@example.com" },
	{ "sla_first_response", "alice@example.com|bob@example.com" },
	{ "ticket_escalated", "alice@example.com" },
	{ "ticket_assigned", "alice@example.com" },
};

#define T0		1793000000	/* the tickets' creation: 2026-10-26T07:33:20Z */
#define HOUR		3600
#define DAY		86400
#define DUE_MARK	12345		/* a due time no SLA gives */

static struct pd_ctx ctx;
static char *conf_path, *tmpdir;
static int msg_seq;

static noreturn void
bail(const char *what, const char *err)
{
	printf("Bail out! %s: %s\n", what, err ? err : "(no error)");
	exit(99);
}

static int
event_from_name(const char *s)
{
	for (int e = 0; e < TEV_COUNT; e++)
		if (strcmp(ticket_event_name((enum pd_event)e), s) == 0)
			return e;
	bail("unknown event in rows[]", s);
}

static int
target_of(const struct row *w)
{
	if (*w->target == '\0')
		return -1;
	if (strcmp(w->event, "priority") == 0)
		return ticket_priority_from_name(w->target);
	return ticket_status_from_name(w->target);
}

static char *
stamps_text(unsigned stamps)
{
	GString *s = g_string_new(NULL);

	for (size_t i = 0; i < G_N_ELEMENTS(stamp_names); i++)
		if (stamps & stamp_names[i].bit)
			g_string_append_printf(s, "%s%s", s->len ? " " : "", stamp_names[i].name);
	return g_string_free(s, FALSE);
}

static const struct row *
find_row(const char *from, const char *event, const char *target)
{
	for (size_t i = 0; i < G_N_ELEMENTS(rows); i++)
		if (strcmp(rows[i].from, from) == 0 && strcmp(rows[i].event, event) == 0 &&
		    strcmp(rows[i].target, target) == 0)
			return &rows[i];
	return NULL;
}

/* 1: the CHECK lists of sql/ against the C names. */
static void
test_names_match_sql(void)
{
	char *db = g_build_filename(tmpdir, "postdesk.db", NULL), *sql;
	const char *const *lists[] = { ticket_status_names, ticket_priority_names };
	const char *cols[] = { "status", "priority" };
	sqlite3 *h;
	sqlite3_stmt *s = NULL;

	if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(h, "SELECT sql FROM sqlite_master WHERE type = 'table' AND "
	    "name = 'tickets'", -1, &s, NULL) != SQLITE_OK || sqlite3_step(s) != SQLITE_ROW)
		bail("sqlite_master", sqlite3_errmsg(h));
	sql = g_strdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	sqlite3_close(h);
	for (int k = 0; k < 2; k++) {
		/* "status TEXT ... CHECK (status IN\n('open','in_progress',...))" */
		char *pat = g_strdup_printf("CHECK \\(%s IN\\s*\\(([^)]*)\\)\\)", cols[k]);
		GRegex *re = g_regex_new(pat, 0, 0, NULL);
		GMatchInfo *mi = NULL;
		GString *want = g_string_new(NULL);
		char *got = NULL;

		if (g_regex_match(re, sql, 0, &mi))
			got = g_match_info_fetch(mi, 1);
		for (int i = 0; lists[k][i]; i++)
			g_string_append_printf(want, "%s'%s'", i ? "," : "", lists[k][i]);
		TEST_STR(got, want->str, "the SQL CHECK on tickets.%s lists the C names", cols[k]);
		g_free(got);
		g_match_info_free(mi);
		g_regex_unref(re);
		g_string_free(want, TRUE);
		g_free(pat);
	}
	for (int i = 0; i < ST_COUNT; i++)
		TEST_INT(ticket_status_from_name(ticket_status_name((enum pd_status)i)), i,
		    "status %d named and found again", i);
	TEST_INT(ticket_status_from_name("Open"), -1, "status names are exact");
	TEST_INT(ticket_status_from_name(NULL), -1, "no status for NULL");
	TEST_INT(ticket_priority_from_name("URGENT"), PRIO_URGENT, "priorities in any case");
	TEST_STR(ticket_priority_name(PRIO_COUNT), "normal", "priority out of range");
	g_free(sql);
	g_free(db);
}

/* 2: the pure table, every (status, event, target). */
static void
test_rule_table(void)
{
	int checked = 0;

	for (int f = 0; f < ST_COUNT; f++)
		for (int e = 0; e < TEV_COUNT; e++) {
			int ntargets = e == TEV_STAFF_REPLY ? ST_COUNT + 1 : e == TEV_STAFF_STATUS ||
			    e == TEV_CLI_SET ? ST_COUNT : e == TEV_PRIORITY ? PRIO_COUNT : 1;

			for (int k = 0; k < ntargets; k++) {
				const char *tname = "";
				const struct row *w;
				struct pd_rule r;
				int target = -1, ok;

				if (e == TEV_STAFF_REPLY && k > 0)
					target = k - 1;
				else if (e == TEV_STAFF_STATUS || e == TEV_CLI_SET)
					target = k;
				else if (e == TEV_PRIORITY)
					target = k;
				if (target >= 0)
					tname = e == TEV_PRIORITY ? ticket_priority_name(
					    (enum pd_priority)target) : ticket_status_name(
					    (enum pd_status)target);
				w = find_row(ticket_status_name((enum pd_status)f),
				    ticket_event_name((enum pd_event)e), tname);
				if (w == NULL) {
					TEST_OK(0, "a row for %s %s %s", ticket_status_name(
					    (enum pd_status)f), ticket_event_name((enum pd_event)e),
					    tname);
					continue;
				}
				ok = ticket_rule((enum pd_status)f, (enum pd_event)e, target,
				    PRIO_NORMAL, "X", &r);
				if (strcmp(w->to, "-") == 0) {
					TEST_INT(ok, 0, "%s %s %s: does not apply", w->from, w->event,
					    w->target);
				} else {
					GString *m = g_string_new(NULL);
					char *got, *st = stamps_text(r.stamps);

					for (int i = 0; i < RULE_MAILS_MAX && r.mails[i]; i++)
						g_string_append_printf(m, "%s%s", i ? "," : "", r.mails[i]);
					got = g_strdup_printf("%s|%s|%s|%s|%s", ticket_status_name(r.to),
					    st, r.kind ? r.kind : "", r.text ? r.text : "", m->str);
					TEST_INT(ok, 1, "%s %s %s: applies", w->from, w->event,
					    w->target);
					{
						char *want = g_strdup_printf("%s|%s|%s|%s|%s", w->to,
						    w->stamps, w->kind, w->text, w->mails);
						TEST_STR(got, want, "%s %s %s: rule", w->from, w->event,
						    w->target);
						g_free(want);
					}
					g_free(got);
					g_free(st);
					g_string_free(m, TRUE);
					ticket_rule_clear(&r);
				}
				checked++;
			}
		}
	TEST_INT(checked, (int)G_N_ELEMENTS(rows), "every row of the table checked once");
}

/* --- 3: the rows on a real database, through each actor ---------- */

static struct pd_ticket *
get(const char *ref)
{
	struct pd_ticket *t = NULL;
	char *err = NULL;

	if (store_ticket_get_by_ref(ctx.store, ref, &t, &err) != 1)
		bail("ticket", err ? err : ref);
	return t;
}

static void
must(int rc, char *err, const char *what)
{
	if (rc < 0)
		bail(what, err);
}

/* Put ref into status from, as if it had got there: resolved and closed
 * at T0 where that status says so, no first response, priority normal,
 * no assignee, due times DUE_MARK (or as the case wants), nothing told. */
static void
put(const char *ref, const char *from, gint64 resolution_due, gint64 first_due)
{
	struct pd_ticket *t = get(ref);
	int s = ticket_status_from_name(from);
	char *err = NULL;

	must(store_begin(ctx.store, &err), err, "begin");
	must(store_ticket_set(ctx.store, t->id, "status", from, T0, &err), err, "status");
	must(store_ticket_set(ctx.store, t->id, "priority", "normal", T0, &err), err, "prio");
	must(store_ticket_set(ctx.store, t->id, "assignee", NULL, T0, &err), err, "assignee");
	must(store_ticket_set(ctx.store, t->id, "first_response_at", NULL, T0, &err), err, "fr");
	if (s == ST_RESOLVED || s == ST_CLOSED)
		must(store_ticket_set_int(ctx.store, t->id, "resolved_at", T0, T0, &err), err,
		    "resolved_at");
	else
		must(store_ticket_set(ctx.store, t->id, "resolved_at", NULL, T0, &err), err,
		    "resolved_at");
	if (s == ST_CLOSED)
		must(store_ticket_set_int(ctx.store, t->id, "closed_at", T0, T0, &err), err,
		    "closed_at");
	else
		must(store_ticket_set(ctx.store, t->id, "closed_at", NULL, T0, &err), err,
		    "closed_at");
	must(store_ticket_set_int(ctx.store, t->id, "resolution_due", resolution_due, T0, &err),
	    err, "due");
	must(store_ticket_set_int(ctx.store, t->id, "first_response_due", first_due, T0, &err),
	    err, "first due");
	must(store_ticket_set_int(ctx.store, t->id, "sla_warned", 0, T0, &err), err, "w");
	must(store_ticket_set_int(ctx.store, t->id, "sla_breached", 0, T0, &err), err, "b");
	must(store_ticket_set_int(ctx.store, t->id, "sla_first_breached", 0, T0, &err), err, "f");
	must(store_commit(ctx.store, &err), err, "commit");
	store_ticket_free(t);
}

static gint64
max_id(const char *table)
{
	/* the store has no "max id": count rows through the lists instead */
	GPtrArray *rows_ = NULL;
	char *err = NULL;
	gint64 max = 0;

	if (strcmp(table, "outbox") == 0) {
		must(store_outbox_list(ctx.store, NULL, 0, &rows_, &err), err, "outbox");
		for (guint i = 0; i < rows_->len; i++)
			max = MAX(max, ((struct pd_outbox_row *)rows_->pdata[i])->id);
		g_ptr_array_unref(rows_);
	}
	return max;
}

/* The outbox rows of ticket ref after id `after`, in queue order:
 * "event>a+b, event>c". */
static char *
mails_of(const char *ref, gint64 after)
{
	GPtrArray *all = NULL, *mine = g_ptr_array_new();
	GString *s = g_string_new(NULL);
	char *err = NULL;

	must(store_outbox_list(ctx.store, NULL, 0, &all, &err), err, "outbox");
	for (guint i = 0; i < all->len; i++) {
		struct pd_outbox_row *r = all->pdata[i];
		if (r->id > after && g_strcmp0(r->ticket_ref, ref) == 0)
			g_ptr_array_add(mine, r);
	}
	for (guint i = 1; i < mine->len; i++)
		for (guint j = i; j > 0 && ((struct pd_outbox_row *)mine->pdata[j - 1])->id >
		    ((struct pd_outbox_row *)mine->pdata[j])->id; j--) {
			gpointer t = mine->pdata[j];
			mine->pdata[j] = mine->pdata[j - 1];
			mine->pdata[j - 1] = t;
		}
	for (guint i = 0; i < mine->len; i++) {
		struct pd_outbox_row *r = mine->pdata[i];
		g_string_append_printf(s, "%s%s>", i ? ", " : "", r->event);
		for (guint j = 0; j < r->rcpts->len; j++)
			g_string_append_printf(s, "%s%s", j ? "+" : "", (char *)r->rcpts->pdata[j]);
	}
	g_ptr_array_unref(mine);
	g_ptr_array_unref(all);
	return g_string_free(s, FALSE);
}

/* The mails a row's events give in this desk. */
static char *
mails_want(const char *mails)
{
	char **ev = g_strsplit(mails, ",", -1);
	GString *s = g_string_new(NULL);

	for (int i = 0; ev[i] && *ev[i]; i++) {
		const char *to = NULL;
		char **parts;

		for (size_t k = 0; k < G_N_ELEMENTS(mail_to); k++)
			if (strcmp(mail_to[k].event, ev[i]) == 0)
				to = mail_to[k].to;
		if (to == NULL)
			bail("no recipients in mail_to[]", ev[i]);
		parts = g_strsplit(to, "|", -1);
		for (int j = 0; parts[j]; j++)
			g_string_append_printf(s, "%s%s>%s", s->len ? ", " : "", ev[i], parts[j]);
		g_strfreev(parts);
	}
	g_strfreev(ev);
	return g_string_free(s, FALSE);
}

/* The newest record of the lifecycle on the ticket since `after`
 * (events rows; the "command" and "created" lines staff mail and intake
 * add are theirs, not the machine's): "kind|detail", "" for none.  The
 * store has no events reader, so this reads the file. */
static char *
record_of(gint64 ticket_id, gint64 *max_r)
{
	char *db = g_build_filename(tmpdir, "postdesk.db", NULL), *out = g_strdup("");
	sqlite3 *h;
	sqlite3_stmt *s = NULL;

	if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		bail("open", db);
	sqlite3_busy_timeout(h, 5000);
	if (sqlite3_prepare_v2(h, "SELECT id, kind, coalesce(detail, '') FROM events WHERE "
	    "ticket_id = ? AND id > ? AND kind NOT IN ('command', 'created') ORDER BY id",
	    -1, &s, NULL) != SQLITE_OK)
		bail("events", sqlite3_errmsg(h));
	sqlite3_bind_int64(s, 1, ticket_id);
	sqlite3_bind_int64(s, 2, *max_r);
	while (sqlite3_step(s) == SQLITE_ROW) {
		g_free(out);
		out = g_strdup_printf("%s|%s", sqlite3_column_text(s, 1), sqlite3_column_text(s, 2));
	}
	sqlite3_finalize(s);
	if (sqlite3_prepare_v2(h, "SELECT coalesce(max(id), 0) FROM events", -1, &s, NULL) ==
	    SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		*max_r = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(h);
	g_free(db);
	return out;
}

/* The state a case starts from, for comparing after. */
struct before {
	gint64	 events;
	gint64	 outbox;
};

static void
mark(struct before *b)
{
	char *r;

	b->events = 0;
	r = record_of(0, &b->events);
	g_free(r);
	b->outbox = max_id("outbox");
}

/* Compare ticket ref after a case with row w (the record's "X" stands for
 * detail). */
static void
check(const char *actor, const struct row *w, const char *ref, const struct before *b,
    gint64 now, const char *detail)
{
	struct pd_ticket *t = get(ref);
	int applies = strcmp(w->to, "-") != 0;
	const char *to = applies ? w->to : w->from;
	unsigned want_stamps = 0;
	gint64 ev = b->events;
	char *rec = record_of(t->id, &ev), *mails = mails_of(ref, b->outbox);
	char *want_mails = mails_want(applies ? w->mails : "");
	char *want_rec;

	/* whole words: "resolved" inside "unresolve" does not count */
	{
		char **words = g_strsplit(applies ? w->stamps : "", " ", -1);

		for (int i = 0; words[i]; i++)
			for (size_t k = 0; k < G_N_ELEMENTS(stamp_names); k++)
				if (strcmp(words[i], stamp_names[k].name) == 0)
					want_stamps |= stamp_names[k].bit;
		g_strfreev(words);
	}
	if (applies && *w->kind) {
		GString *x = g_string_new(NULL);
		for (const char *p = w->text; *p; p++)
			if (*p == 'X' && detail)
				g_string_append(x, detail);
			else
				g_string_append_c(x, *p);
		want_rec = g_strdup_printf("%s|%s", w->kind, x->str);
		g_string_free(x, TRUE);
	} else
		want_rec = g_strdup("");

	TEST_STR(t->status, to, "%s: %s %s %s: status", actor, w->from, w->event, w->target);
	{
		int from = ticket_status_from_name(w->from);
		gint64 res0 = from == ST_RESOLVED || from == ST_CLOSED ? T0 : 0;
		gint64 clo0 = from == ST_CLOSED ? T0 : 0;
		gint64 want_res = want_stamps & TS_RESOLVED ? now : want_stamps & TS_UNRESOLVE ?
		    0 : res0;
		gint64 want_clo = want_stamps & TS_CLOSED ? now : want_stamps & TS_UNCLOSE ? 0 :
		    clo0;

		TEST_INT(t->resolved_at, want_res, "%s: %s %s %s: resolved_at", actor, w->from,
		    w->event, w->target);
		TEST_INT(t->closed_at, want_clo, "%s: %s %s %s: closed_at", actor, w->from,
		    w->event, w->target);
		TEST_INT(t->first_response_at, want_stamps & TS_FIRST_RESPONSE ? now : 0,
		    "%s: %s %s %s: first_response_at", actor, w->from, w->event, w->target);
		TEST_INT(t->sla_warned, !!(want_stamps & (TS_SLA_WARNED | TS_SLA_BREACHED)),
		    "%s: %s %s %s: sla_warned", actor, w->from, w->event, w->target);
		TEST_INT(t->sla_breached, !!(want_stamps & TS_SLA_BREACHED),
		    "%s: %s %s %s: sla_breached", actor, w->from, w->event, w->target);
		TEST_INT(t->sla_first_breached, !!(want_stamps & TS_SLA_FIRST),
		    "%s: %s %s %s: sla_first_breached", actor, w->from, w->event, w->target);
		if (strcmp(w->event, "sla_warning") != 0 && strcmp(w->event, "sla_breach") != 0 &&
		    strcmp(w->event, "sla_first_late") != 0 && strcmp(w->event, "auto_close") != 0 &&
		    strcmp(w->event, "create") != 0)
			TEST_OK((t->resolution_due != T0 + DUE_MARK) ==
			    !!(want_stamps & TS_SLA_DUE), "%s: %s %s %s: due times %s", actor,
			    w->from, w->event, w->target, want_stamps & TS_SLA_DUE ?
			    "from the new priority" : "kept");
	}
	TEST_STR(rec, want_rec, "%s: %s %s %s: record", actor, w->from, w->event, w->target);
	TEST_STR(mails, want_mails, "%s: %s %s %s: mails", actor, w->from, w->event,
	    w->target);
	g_free(rec);
	g_free(mails);
	g_free(want_mails);
	g_free(want_rec);
	store_ticket_free(t);
}

static void
set_now(gint64 now)
{
	char *s = g_strdup_printf("%" G_GINT64_FORMAT, now);

	g_setenv("POSTDESK_NOW", s, TRUE);
	g_free(s);
}

/* 3a: ticket_apply itself. */
static void
run_core(const struct row *w)
{
	struct pd_change c = { 0 };
	struct pd_ticket *t;
	struct before b;
	char *err = NULL;
	int applied = -1, rc;

	put("TKT-0001", w->from, T0 + DUE_MARK, T0 + DUE_MARK / 2);
	mark(&b);
	t = get("TKT-0001");
	c.event = (enum pd_event)event_from_name(w->event);
	c.target = target_of(w);
	c.actor = "test";
	c.detail = "X";
	c.assignee = "alice@example.com";
	must(store_begin(ctx.store, &err), err, "begin");
	rc = ticket_apply(&ctx, t, &c, T0 + HOUR, &applied, NULL, &err);
	TEST_INT(rc, 0, "ticket_apply: %s %s %s: %s", w->from, w->event, w->target,
	    err ? err : "ok");
	must(store_commit(ctx.store, &err), err, "commit");
	TEST_INT(applied, strcmp(w->to, "-") != 0, "ticket_apply: %s %s %s: applied",
	    w->from, w->event, w->target);
	TEST_STR(t->status, strcmp(w->to, "-") ? w->to : w->from,
	    "ticket_apply: %s %s %s: the caller's copy follows", w->from, w->event, w->target);
	store_ticket_free(t);
	check("ticket_apply", w, "TKT-0001", &b, T0 + HOUR, "X");
}

/* 3b: a mail through intake_process.  staff: from bob, authenticated. */
static char *
deliver(int staff, const char *extra, const char *subject, const char *body)
{
	struct pd_intake_result r = { 0 };
	struct pd_source src = { 0 };
	char *raw, *err = NULL, *ref;
	int rc;

	raw = g_strdup_printf("%sFrom: %s\r\nTo: Support <support@example.com>\r\n"
	    "Subject: %s\r\nDate: Tue, 27 Oct 2026 10:00:00 +0000\r\n"
	    "Message-ID: <lc%d@test.example>\r\n%s\r\n%s\r\n",
	    staff ? "Authentication-Results: mx.example.com; dkim=pass header.d=example.com "
	    "header.s=s1; spf=pass smtp.mailfrom=bob@example.com\r\n"
	    /* our MX's hop: results above it are ours (auth.c) */
	    "Received: from mail.example.com (mail.example.com [192.0.2.25]) by "
	    "mx.example.com (Postfix) with ESMTPS id 1\r\n" : "",
	    staff ? "Bob Jones <bob@example.com>" : "Carol Customer <carol@example.org>",
	    subject, ++msg_seq, extra ? extra : "", body);
	src.kind = "deliver";
	src.recipient = "support@example.com";
	rc = intake_process(&ctx, raw, strlen(raw), &src, &r, &err);
	if (rc < 0)
		bail("intake_process", err);
	ref = g_strdup(r.ref);
	if (ref == NULL)
		printf("# %s: %s\n", intake_outcome_name(r.outcome), r.detail ? r.detail : "");
	intake_result_clear(&r);
	g_free(raw);
	return ref;
}

static void
run_mail(const struct row *w)
{
	const char *ev = w->event, *detail = NULL;
	char *body = NULL, *got = NULL, *victim = NULL;
	gint64 now = T0 + HOUR;
	struct before b;
	int staff = 1;

	/* A mail cannot try these where they do not apply: in another status
	 * the same mail is another event (a reply, not a new ticket). */
	if ((strcmp(ev, "create") == 0 || strcmp(ev, "reopen_late") == 0) &&
	    strcmp(w->to, "-") == 0)
		return;
	if (strcmp(ev, "create") == 0) {
		mark(&b);
		set_now(now);
		got = deliver(0, NULL, "A new question", "Something else is broken.");
		/* a new ticket starts where put() leaves one, but with its SLA */
		check("mail", w, got, &b, now, NULL);
		g_free(got);
		return;
	}
	if (strcmp(ev, "merge") == 0) {
		set_now(T0);
		victim = deliver(0, NULL, "A second issue", "Also this.");
		put(victim, w->from, T0 + DUE_MARK, T0 + DUE_MARK / 2);
		body = g_strdup_printf("#merge %s\n", victim);
		detail = "TKT-0001";
	} else if (strcmp(ev, "reopen_late") == 0) {
		now = T0 + 8 * DAY;	/* past the 7 day reopen window */
		staff = 0;
		body = g_strdup("Back again, it broke once more.");
	} else if (strcmp(ev, "customer_reply") == 0) {
		staff = 0;
		body = g_strdup("More details.");
	} else if (strcmp(ev, "auto_reply") == 0) {
		staff = 0;
		body = g_strdup("I am out of the office.");
	} else if (strcmp(ev, "staff_reply") == 0)
		body = g_strdup_printf("%s%s%sHere is the answer.", *w->target ? "#status " : "",
		    w->target, *w->target ? "\n\n" : "");
	else if (strcmp(ev, "staff_status") == 0)
		body = g_strdup_printf("#status %s\n", w->target);
	else if (strcmp(ev, "staff_note") == 0)
		body = g_strdup("#note\nAn internal remark.");
	else if (strcmp(ev, "priority") == 0)
		body = g_strdup_printf("#priority %s\n", w->target);
	else if (strcmp(ev, "escalate") == 0) {
		body = g_strdup("#escalate X\n");
		detail = "X";
	} else if (strcmp(ev, "assign") == 0) {
		body = g_strdup("#assign alice@example.com\n");
		detail = "none -> alice@example.com";
	} else
		return;
	put("TKT-0001", w->from, T0 + DUE_MARK, T0 + DUE_MARK / 2);
	mark(&b);
	set_now(now);
	got = deliver(staff, strcmp(ev, "auto_reply") == 0 ? "Auto-Submitted: auto-replied\r\n" :
	    NULL, "Re: [TKT-0001] The printer", body);
	if (strcmp(ev, "reopen_late") == 0)
		detail = got;
	check("mail", w, victim ? victim : "TKT-0001", &b, now, detail);
	g_free(got);
	g_free(body);
	g_free(victim);
}

/* 3c: postdesk set through cli_main. */
static void
run_cli(const struct row *w)
{
	char *kv = NULL;
	const char *detail = NULL;
	struct before b;
	int rc;

	if (strcmp(w->event, "cli_set") == 0)
		kv = g_strdup_printf("status=%s", w->target);
	else if (strcmp(w->event, "priority") == 0)
		kv = g_strdup_printf("priority=%s", w->target);
	else if (strcmp(w->event, "assign") == 0) {
		kv = g_strdup("assignee=alice@example.com");
		detail = "none -> alice@example.com";
	} else
		return;
	put("TKT-0001", w->from, T0 + DUE_MARK, T0 + DUE_MARK / 2);
	mark(&b);
	set_now(T0 + HOUR);
	{
		char *argv[] = { "postdesk", "-c", conf_path, "set", "TKT-0001", kv, NULL };

		fflush(stdout);
		rc = cli_main(6, argv);
	}
	TEST_INT(rc, 0, "postdesk set %s on %s: exit 0", kv, w->from);
	check("set", w, "TKT-0001", &b, T0 + HOUR, detail);
	g_free(kv);
}

/* 3d: the status page through cgi_main, in a child as a web server runs it. */
static void
cgi_post_as(const char *body, const char *user)
{
	int in[2], st;
	pid_t pid;

	fflush(stdout);
	if (pipe(in) < 0)
		bail("pipe", g_strerror(errno));
	if ((pid = fork()) < 0)
		bail("fork", g_strerror(errno));
	if (pid == 0) {
		char len[32];
		FILE *null = freopen("/dev/null", "w", stdout);

		(void)null;
		close(in[1]);
		dup2(in[0], STDIN_FILENO);
		close(in[0]);
		snprintf(len, sizeof len, "%zu", strlen(body));
		g_setenv("REQUEST_METHOD", "POST", TRUE);
		g_setenv("CONTENT_LENGTH", len, TRUE);
		g_setenv("CONTENT_TYPE", "application/x-www-form-urlencoded", TRUE);
		g_setenv("QUERY_STRING", "", TRUE);
		g_setenv("SCRIPT_NAME", "/cgi-bin/postdesk.cgi", TRUE);
		g_setenv("POSTDESK_CONF", conf_path, TRUE);
		if (user)
			g_setenv("REMOTE_USER", user, TRUE);
		_exit(cgi_main());
	}
	close(in[0]);
	if (write(in[1], body, strlen(body)) != (ssize_t)strlen(body))
		bail("write", "short");
	close(in[1]);
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		bail("cgi", "the child failed");
}

static void
cgi_post(const char *body)
{
	cgi_post_as(body, NULL);
}

static void
run_cgi(const struct row *w)
{
	char *key, *ekey, *body;
	struct before b;

	if (strcmp(w->event, "web_close") != 0 && strcmp(w->event, "csat") != 0)
		return;
	put("TKT-0001", w->from, T0 + DUE_MARK, T0 + DUE_MARK / 2);
	mark(&b);
	set_now(T0 + HOUR);
	key = token_status_key(&ctx.secret, "TKT-0001");
	ekey = g_uri_escape_string(key, NULL, FALSE);
	body = g_strdup_printf("t=TKT-0001&k=%s&action=%s", ekey,
	    strcmp(w->event, "csat") == 0 ? "rate&rating=4&comment=Thanks" : "close");
	cgi_post(body);
	check("status page", w, "TKT-0001", &b, T0 + HOUR, "4");
	g_free(body);
	g_free(ekey);
	g_free(key);
}

/* 3d': the status page's reply form and the staff page's actions, as
 * Bob signed in by the web server: the same rows as by mail. */
static void
run_web(const struct row *w)
{
	const char *ev = w->event, *detail = NULL, *user = "bob@example.com";
	char *form = NULL, *tok, *etok, *body, *k = NULL;
	gint64 now = T0 + HOUR;
	struct before b;

	if (strcmp(ev, "customer_reply") == 0) {
		user = NULL;
		k = token_status_key(&ctx.secret, "TKT-0001");
		form = g_strdup_printf("t=TKT-0001&k=%s&action=reply&text=More+details.", k);
	} else if (strcmp(ev, "staff_reply") == 0 && *w->target == '\0')
		form = g_strdup("action=reply&text=Here+is+the+answer.");
	else if (strcmp(ev, "staff_status") == 0)
		form = g_strdup_printf("action=status&value=%s", w->target);
	else if (strcmp(ev, "staff_note") == 0)
		form = g_strdup("action=note&text=An+internal+remark.");
	else if (strcmp(ev, "priority") == 0)
		form = g_strdup_printf("action=priority&value=%s", w->target);
	else if (strcmp(ev, "assign") == 0) {
		form = g_strdup("action=assign&value=alice%40example.com");
		detail = "none -> alice@example.com";
	} else
		return;
	put("TKT-0001", w->from, T0 + DUE_MARK, T0 + DUE_MARK / 2);
	mark(&b);
	set_now(now);
	tok = token_form(&ctx.secret, user ? user : "", "TKT-0001", now);
	etok = g_uri_escape_string(tok, NULL, FALSE);
	body = user ? g_strdup_printf("view=staff&ref=TKT-0001&tok=%s&%s", etok, form) :
	    g_strdup_printf("%s&tok=%s", form, etok);
	cgi_post_as(body, user);
	if (user == NULL) {
		/* the one difference, by design: the customer who wrote on the
		 * page is sent no mail about it (no ticket_reopened) */
		struct row r2 = *w;
		GString *m = g_string_new(NULL);
		char **v = g_strsplit(w->mails, ",", -1);

		for (char **e = v; *e; e++)
			if (**e && strcmp(*e, "ticket_reopened") != 0)
				g_string_append_printf(m, "%s%s", m->len ? "," : "", *e);
		r2.mails = m->str;
		check("web", &r2, "TKT-0001", &b, now, detail);
		g_strfreev(v);
		g_string_free(m, TRUE);
	} else
		check("web", w, "TKT-0001", &b, now, detail);
	g_free(form);
	g_free(tok);
	g_free(etok);
	g_free(body);
	g_free(k);
}

/* 3e: the timers through timers_run, with the due times that make the
 * step due now. */
static void
run_timer(const struct row *w)
{
	struct pd_timer_stats ts;
	gint64 now = T0 + HOUR, due = 0, first = 0;
	struct before b;
	char *err = NULL, *detail;

	if (strcmp(w->event, "sla_warning") == 0)
		due = now + 100, first = now + 30 * DAY;	/* past 3/4 of T0..due */
	else if (strcmp(w->event, "sla_breach") == 0)
		due = now - 1, first = now + 30 * DAY;
	else if (strcmp(w->event, "sla_first_late") == 0)
		due = now + 30 * DAY, first = now - 1;
	else if (strcmp(w->event, "auto_close") == 0)
		now = T0 + 8 * DAY;			/* resolved at T0, autoclose 7d */
	else
		return;
	put("TKT-0001", w->from, due, first);
	mark(&b);
	set_now(now);
	TEST_INT(timers_run(&ctx, &ts, &err), 0, "timers_run: %s on %s", w->event, w->from);
	g_free(err);
	detail = util_rfc3339(strcmp(w->event, "sla_first_late") == 0 ? first : due);
	check("timers", w, "TKT-0001", &b, now, detail);
	g_free(detail);
}

/* 4: the one field list (ticket_view.c) that show, list, --json and the
 * status page render. */
static const struct pd_field *
field(const char *key)
{
	for (const struct pd_field *f = ticket_view_fields; f->key; f++)
		if (strcmp(f->key, key) == 0)
			return f;
	bail("no field", key);
}

static void
test_views(void)
{
	struct pd_ticket t = { 0 };
	GPtrArray *labels = g_ptr_array_new();
	GString *o = g_string_new(NULL);
	char *v;

	t.ref = "TKT-0042";
	t.subject = "Printer";
	t.status = "waiting";
	t.priority = "high";
	t.queue = "Support";
	t.assignee = "";
	t.customer_email = "carol@example.org";
	t.customer_name = "Carol";
	t.created_at = T0;
	t.updated_at = T0 + 60;
	t.first_response_due = T0 + HOUR;
	t.resolution_due = T0 + DAY;
	g_ptr_array_add(labels, "vip");
	g_ptr_array_add(labels, "printer");
	t.labels = labels;
	ticket_view_json(o, &t);
	TEST_STR(o->str, "\"ref\":\"TKT-0042\",\"subject\":\"Printer\",\"status\":\"waiting\","
	    "\"priority\":\"high\",\"queue\":\"Support\",\"assignee\":null,"
	    "\"customer\":{\"email\":\"carol@example.org\",\"name\":\"Carol\"},"
	    "\"labels\":[\"vip\",\"printer\"],\"created_at\":\"2026-10-26T07:33:20Z\","
	    "\"updated_at\":\"2026-10-26T07:34:20Z\",\"first_response_at\":null,"
	    "\"resolved_at\":null,\"merged_into\":null", "the SPEC 9 members, in order");
	v = ticket_view_text(&t, field("customer"));
	TEST_STR(v, "Carol <carol@example.org>", "the customer as Name <email>");
	g_free(v);
	v = ticket_view_text(&t, field("labels"));
	TEST_STR(v, "vip, printer", "labels joined");
	g_free(v);
	v = ticket_view_text(&t, field("assignee"));
	TEST_STR(v, NULL, "an empty assignee is unset");
	g_free(v);
	TEST_OK(ticket_view_shown(&t, field("first_response_due"), VIEW_PAGE),
	    "customer page: the expected response while none came");
	TEST_OK(!ticket_view_shown(&t, field("resolved_at"), VIEW_PAGE),
	    "customer page: no Resolved row before it is");
	TEST_OK(ticket_view_shown(&t, field("resolved_at"), VIEW_STAFF),
	    "staff view: Resolved always");
	TEST_OK(!ticket_view_shown(&t, field("assignee"), VIEW_PAGE),
	    "customer page: no assignee");
	TEST_OK(!ticket_view_shown(&t, field("closed_at"), VIEW_SHOW),
	    "show: Closed only once closed");
	t.first_response_at = T0 + 10;
	t.resolved_at = T0 + 20;
	t.closed_at = T0 + 30;
	TEST_OK(!ticket_view_shown(&t, field("first_response_due"), VIEW_PAGE),
	    "customer page: a met response time is history");
	TEST_OK(!ticket_view_shown(&t, field("resolution_due"), VIEW_PAGE),
	    "customer page: so is a met resolution time");
	TEST_OK(ticket_view_shown(&t, field("resolved_at"), VIEW_PAGE),
	    "customer page: Resolved once it is");
	TEST_OK(ticket_view_shown(&t, field("closed_at"), VIEW_SHOW), "show: Closed once closed");
	{
		GString *heads = g_string_new(NULL);

		for (const struct pd_field *f = ticket_view_fields; f->key; f++)
			if (f->views & VIEW_LIST)
				g_string_append_printf(heads, "%s%s%s", heads->len ? " " : "", f->key,
				    f->list_width < 0 ? "*" : "");
		TEST_STR(heads->str, "ref subject* status priority queue assignee customer",
		    "list columns (* takes the rest of the line, printed last)");
		g_string_free(heads, TRUE);
	}
	g_string_free(o, TRUE);
	g_ptr_array_unref(labels);
}

static void
write_conf(void)
{
	char *rel = test_src("conf/templates"), *templates = g_canonicalize_filename(rel, NULL);
	char *text = g_strdup_printf(
	    "database = \"%s/postdesk.db\";\nspool = \"%s/spool\";\n"
	    "secret_file = \"%s/secret\";\ntemplates = \"%s\";\n"
	    "base_url = \"https://help.example.com/cgi-bin/postdesk.cgi\";\n"
	    "ref_prefix = \"TKT\";\n"
	    "smtp = { url = \"smtp://127.0.0.1:25\"; starttls = \"never\"; };\n"
	    "staff = (\n"
	    "  { name = \"Alice Smith\"; email = \"alice@example.com\"; role = \"admin\"; },\n"
	    "  { name = \"Bob Jones\"; email = \"bob@example.com\"; role = \"agent\"; }\n);\n"
	    "queues = ( { name = \"Support\"; address = \"support@example.com\";\n"
	    "  staff = [ \"alice@example.com\", \"bob@example.com\" ];\n"
	    "  default_assignee = \"\"; sla = \"standard\"; } );\n"
	    "auth = { authserv_id = \"mx.example.com\"; trust_from = false; };\n"
	    "sla = { standard = { urgent = [ \"1h\", \"4h\" ]; high = [ \"4h\", \"1d\" ];\n"
	    "  normal = [ \"8h\", \"3d\" ]; low = [ \"1d\", \"5d\" ]; }; };\n"
	    "working_hours = { timezone = \"UTC\"; days = \"Mon-Sun\"; hours = \"00:00-24:00\";\n"
	    "  holidays = []; };\n"
	    "limits = { autoreplies_per_hour = 1000000; ticket_mails_per_10min = 1000000;\n"
	    "  staff_mails_per_10min = 1000000;\n"
	    "  reopen_window = \"7d\"; autoclose_after = \"7d\"; };\n",
	    tmpdir, tmpdir, tmpdir, templates);
	char *err = NULL;

	conf_path = g_build_filename(tmpdir, "postdesk.conf", NULL);
	if (util_write_file(conf_path, text, strlen(text), 0600, 0, &err) < 0)
		bail("config", err);
	g_free(text);
	g_free(templates);
	g_free(rel);
}

int
main(void)
{
	GPtrArray *errors = g_ptr_array_new_with_free_func(g_free);
	struct pd_config *cfg;
	char *err = NULL, *secret, *ref;
	struct pd_ticket *t;
	int ex = 0;

	tmpdir = g_dir_make_tmp("pd-ticket-XXXXXX", NULL);
	write_conf();
	if ((cfg = config_load(conf_path, errors)) == NULL)
		bail("config", errors->len ? errors->pdata[0] : "?");
	secret = g_build_filename(tmpdir, "secret", NULL);
	if (token_create_secret(secret, &err) < 0)
		bail("secret", err);
	if (ctx_open(&ctx, cfg, &ex, &err) < 0)
		bail("ctx_open", err);

	test_names_match_sql();
	test_rule_table();
	test_views();

	/* TKT-0001: carol's, dan a participant, our own address one too */
	set_now(T0);
	ref = deliver(0, NULL, "The printer", "It does not print.");
	TEST_STR(ref, "TKT-0001", "the test's ticket");
	g_free(ref);
	t = get("TKT-0001");
	must(store_participant_add(ctx.store, t->id, "dan@example.net", "Dan", &err), err, "p");
	must(store_participant_add(ctx.store, t->id, "support@example.com", NULL, &err), err,
	    "p2");
	store_ticket_free(t);

	for (size_t i = 0; i < G_N_ELEMENTS(rows); i++)
		run_core(&rows[i]);
	/* the timers first: later cases open more tickets */
	for (size_t i = 0; i < G_N_ELEMENTS(rows); i++)
		run_timer(&rows[i]);
	for (size_t i = 0; i < G_N_ELEMENTS(rows); i++)
		run_cli(&rows[i]);
	for (size_t i = 0; i < G_N_ELEMENTS(rows); i++)
		run_cgi(&rows[i]);
	for (size_t i = 0; i < G_N_ELEMENTS(rows); i++)
		run_mail(&rows[i]);
	for (size_t i = 0; i < G_N_ELEMENTS(rows); i++)
		run_web(&rows[i]);

	ctx_close(&ctx);
	config_free(cfg);
	g_ptr_array_unref(errors);
	{
		char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", tmpdir);
		g_free(cmd);
	}
	g_free(secret);
	g_free(conf_path);
	g_free(tmpdir);
	g_unsetenv("POSTDESK_NOW");
	return test_done();
}
