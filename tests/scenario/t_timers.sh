#!/bin/bash
# t_timers.sh: the clock of SPEC 7, moved with POSTDESK_NOW.  Working
# hours are 24x7 so that a "3d" resolution time is exactly 72 hours:
# warning at 54 h (75 %), breach at 72 h, each told exactly once across
# runs and restarts; a resolved ticket closes once after autoclose_after.
. "$(dirname "$0")/lib.sh"

PDD="$top_builddir/postdeskd"
if [ ! -x "$PDD" ]; then
	echo "# $PDD not built"
	exit 77
fi
SMTP_PORT=$(free_port)	# nothing listens: mails stay in the outbox
EXTRA_CONF='limits = { autoclose_after = "2d"; };'
write_config
CONF="$TMP/etc/postdesk.conf"
sed -i 's/hours = "00:00-23:59"/hours = "00:00-24:00"/' "$CONF"
ok "24x7 working hours configured" grep -q 'hours = "00:00-24:00"' "$CONF"

RUN_USER=nobody
own() { [ "$(id -u)" = 0 ] && chown -R "$RUN_USER" "$TMP"; return 0; }
H=3600
T0=1793577600		# Mon 2026-11-02 00:00:00 UTC

# mail N AT: customer N writes at time AT.
mail() {
	POSTDESK_NOW=$2 "$PD" deliver <<MAIL >/dev/null
From: Customer $1 <customer$1@example.org>
To: support@example.com
Subject: Problem $1
Message-ID: <p$1@example.org>
Date: Mon, 02 Nov 2026 00:00:00 +0000

Something is broken ($1).
MAIL
}
# once AT: postdeskd --once at time AT; prints the timers part of its
# summary line.
once() {
	own
	POSTDESK_NOW=$1 "$PDD" --once -u "$RUN_USER" -c "$CONF" 2>>"$TMP/once.err" |
		sed -n 's/^.*; \(timers: [^;]*\);.*$/\1/p'
}
# rows EVENT REF: outbox rows of that event for the ticket, one line
# each: the recipients.
rows() {
	sql "SELECT (SELECT group_concat(addr, ',') FROM (SELECT addr FROM outbox_rcpts r
		WHERE r.outbox_id = o.id ORDER BY addr)) FROM outbox o JOIN tickets t
		ON t.id = o.ticket_id WHERE o.event = '$1' AND t.ref = '$2' ORDER BY 1"
}
nrows() { sql "SELECT count(*) FROM outbox WHERE event = '$1'"; }

mail 1 "$T0"
mail 2 "$T0"
mail 3 "$T0"
POSTDESK_NOW=$T0 "$PD" set TKT-0001 assignee=bob@example.com >/dev/null
POSTDESK_NOW=$((T0 + H)) "$PD" set TKT-0003 status=resolved >/dev/null
is "three tickets" "$(sql "SELECT count(*) FROM tickets")" 3
is "resolution due 72 h after creation" \
	"$(sql "SELECT resolution_due - created_at FROM tickets WHERE ref = 'TKT-0001'")" $((72 * H))

# Auto-close: resolved at T0+1h, autoclose_after 2d: due at T0+49h.
is "48 h 59 m 59 s after resolving: nothing" "$(once $((T0 + 49 * H - 1)))" \
	"timers: 0 warned, 0 breached, 0 closed"
is "2 days after resolving: closed" "$(once $((T0 + 49 * H)))" \
	"timers: 0 warned, 0 breached, 1 closed"
is "status closed, closed_at now" \
	"$(sql "SELECT status, closed_at FROM tickets WHERE ref = 'TKT-0003'")" \
	"closed|$((T0 + 49 * H))"
is "one ticket_closed mail to the customer" "$(rows ticket_closed TKT-0003)" \
	"customer3@example.org"
is "close event recorded" \
	"$(sql "SELECT count(*) FROM events e JOIN tickets t ON t.id = e.ticket_id
	    WHERE t.ref = 'TKT-0003' AND e.detail = 'status: resolved -> closed (auto-close)'")" 1
is "run again: nothing more" "$(once $((T0 + 50 * H)))" \
	"timers: 0 warned, 0 breached, 0 closed"
is "still one ticket_closed mail" "$(nrows ticket_closed)" 1

# SLA warning at 75 %: 54 h.
is "1 s before 75 %: nothing" "$(once $((T0 + 54 * H - 1)))" \
	"timers: 0 warned, 0 breached, 0 closed"
is "at 75 %: two tickets warned" "$(once $((T0 + 54 * H)))" \
	"timers: 2 warned, 0 breached, 0 closed"
is "assigned ticket: one warning, to the assignee" "$(rows sla_warning TKT-0001)" \
	"bob@example.com"
is "unassigned ticket: one warning per queue staff member" \
	"$(rows sla_warning TKT-0002)" "$(printf 'alice@example.com\nbob@example.com')"
is "sla_warned set" "$(sql "SELECT group_concat(sla_warned) FROM tickets ORDER BY id")" "1,1,0"
is "run again: no second warning" "$(once $((T0 + 54 * H)))" \
	"timers: 0 warned, 0 breached, 0 closed"
is "still three warning mails" "$(nrows sla_warning)" 3

# The daemon's timer thread (every second under POSTDESK_NOW) after a
# restart: nothing repeated.
own
POSTDESK_NOW=$((T0 + 60 * H)) "$PDD" -f -u "$RUN_USER" -c "$CONF" 2>"$TMP/daemon.log" &
DPID=$!
T_PIDS="$T_PIDS $DPID"
for _ in $(seq 1 50); do grep -q 'started:' "$TMP/daemon.log" && break; sleep 0.1; done
sleep 2.5	# at least two timer runs
kill -TERM "$DPID"
wait "$DPID"
is "daemon stopped cleanly" "$?" 0
is "daemon: still three warning mails" "$(nrows sla_warning)" 3
is "daemon: no breach yet" "$(nrows sla_breached)" 0

# Breach at 100 %: 72 h.  Assignee plus all admins; else the queue's
# staff plus admins; one mail per recipient, once.
is "1 s before 100 %: nothing" "$(once $((T0 + 72 * H - 1)))" \
	"timers: 0 warned, 0 breached, 0 closed"
is "at 100 %: two tickets breached" "$(once $((T0 + 72 * H)))" \
	"timers: 0 warned, 2 breached, 0 closed"
is "assigned ticket: assignee and admin told" "$(rows sla_breached TKT-0001)" \
	"$(printf 'alice@example.com\nbob@example.com')"
is "unassigned ticket: staff told once each" "$(rows sla_breached TKT-0002)" \
	"$(printf 'alice@example.com\nbob@example.com')"
is "sla_breached set" "$(sql "SELECT group_concat(sla_breached) FROM tickets ORDER BY id")" "1,1,0"
is "run again: no second breach" "$(once $((T0 + 80 * H)))" \
	"timers: 0 warned, 0 breached, 0 closed"
is "still four breach mails" "$(nrows sla_breached)" 4
is "still three warning mails after the breach" "$(nrows sla_warning)" 3
is "breach recorded on the ticket" \
	"$(sql "SELECT count(*) FROM messages m JOIN tickets t ON t.id = m.ticket_id
	    WHERE t.ref = 'TKT-0001' AND m.kind = 'system' AND m.class = 'sla_breached'")" 1

# A ticket first seen after its whole resolution time (the daemon was
# down): breached once, no warning on top.
mail 4 $((T0 + 80 * H))
is "late ticket breached without a warning" "$(once $((T0 + 200 * H)))" \
	"timers: 0 warned, 1 breached, 0 closed"
is "no warning mail for it" "$(rows sla_warning TKT-0004)" ""
is "no timer errors" "$(grep -c 'timers:' "$TMP/once.err")" 0

# The first-response time (8 h for normal priority): told once to the
# queue's staff when no staff answer came.  A priority change moves the
# due times to the new priority's SLA from the ticket's creation.
first() {	# first AT: the number of late first responses --once reports
	own
	POSTDESK_NOW=$1 "$PDD" --once -u "$RUN_USER" -c "$CONF" 2>>"$TMP/once.err" |
		sed -n 's/^.*; first responses late: \([0-9]*\);.*$/\1/p'
}
T1=$((T0 + 400 * H))
mail 5 "$T1"
is "first response due 8 h after creation" \
	"$(sql "SELECT first_response_due - created_at FROM tickets WHERE ref = 'TKT-0005'")" $((8 * H))
POSTDESK_NOW=$T1 "$PD" set TKT-0005 priority=urgent >/dev/null
is "priority urgent: first response due after 1 h" \
	"$(sql "SELECT first_response_due - created_at FROM tickets WHERE ref = 'TKT-0005'")" $((1 * H))
is "priority urgent: resolution due after 4 h" \
	"$(sql "SELECT resolution_due - created_at FROM tickets WHERE ref = 'TKT-0005'")" $((4 * H))
is "1 s before the first response is due: nothing" "$(first $((T1 + H - 1)))" 0
is "first response due: told" "$(first $((T1 + H)))" 1
is "the queue's staff got one mail each" "$(rows sla_first_response TKT-0005)" \
	"$(printf 'alice@example.com\nbob@example.com')"
is "run again: not told twice" "$(first $((T1 + 2 * H)))" 0
is "still the same two mails" "$(rows sla_first_response TKT-0005)" \
	"$(printf 'alice@example.com\nbob@example.com')"
is "a ticket resolved within its first-response time is never told" \
	"$(sql "SELECT sla_first_breached FROM tickets WHERE ref = 'TKT-0003'")" 0

# Under --enable-sanitizers: no report from any run (leaks included).
ok "no sanitizer report" sh -c "! grep -qs 'Sanitizer\|runtime error' '$TMP'/*.log '$TMP'/*.err '$TMP'/*.out"

finish
