#!/bin/bash
# t_held.sh: rate limits hold robots' mail, never a person's (issue 11
# item 2, SPEC 3): held mail is listed, logged, told once, released by
# `postdesk outbox release ID|REF|all` or when its window has passed;
# `postdesk history` shows every step.
. "$(dirname "$0")/lib.sh"

PDD="$top_builddir/postdeskd"
start_smtp || exit 1
EXTRA_CONF="limits = { autoreplies_per_hour = 5; ticket_mails_per_10min = 10; };"
write_config
not() { ! "$@"; }
new_mail() {	# new_mail N: a new ticket from carol
	printf 'From: Carol <carol@example.org>\nTo: support@example.com\nSubject: Question %s\nMessage-ID: <q%s@example.org>\n\nQuestion %s.\n' "$1" "$1" "$1"
}
for i in 1 2 3 4 5; do new_mail $i | "$PD" deliver 2>>"$TMP/deliver.err"; done
new_mail 6 | "$PD" -v deliver 2>>"$TMP/deliver.err"	# -v: the log on stderr
is "six tickets" "$(sql "SELECT count(*) FROM tickets")" 6
is "the sixth acknowledgement is held (5 an hour to one address)" \
	"$(sql "SELECT o.status || ' ' || t.ref FROM outbox o JOIN tickets t ON t.id = o.ticket_id WHERE o.event = 'ticket_created' AND o.status = 'held'")" \
	"held TKT-0006"
is "held: the reason and when it is released" \
	"$(sql "SELECT last_error || ' ' || (held_until - created_at) FROM outbox WHERE status = 'held'")" \
	"rate limit: too many automatic replies to this address in an hour 3600"
"$PD" outbox list > "$TMP/list"
ok "outbox list shows it held with the reason" \
	grep -q "held .*ticket_created .*TKT-0006 .*carol@example.org .*rate limit: too many automatic replies" "$TMP/list"
is "told once: one mail_held notice per ticket, to its staff" \
	"$(sql "SELECT group_concat(r.addr, ',') FROM outbox o JOIN outbox_rcpts r ON r.outbox_id = o.id WHERE o.event = 'mail_held'")" \
	"alice@example.com,bob@example.com"
ok "logged" grep -q "outbox ticket_created: held for ticket_created to carol@example.org held: rate limit" "$TMP/deliver.err"
"$PD" outbox flush >/dev/null 2>&1
is "flush does not send held mail" "$(sql "SELECT status FROM outbox WHERE event = 'ticket_created' AND ticket_id = 6")" held
# the window passes: the daemon releases it
POSTDESK_NOW=$(($(date +%s) + 3601)) "$PDD" -f -c "$POSTDESK_CONF" --flush >/dev/null 2>"$TMP/flush.err"
is "after the window the daemon sends it" "$(sql "SELECT status FROM outbox WHERE event = 'ticket_created' AND ticket_id = 6")" sent
ok "the release is logged" grep -q "outbox: 1 held mail released: the rate limit's window has passed" "$TMP/flush.err"

# A person's reply is never held, however busy the ticket.
STAFF_HDR="Received: from mail.example.com (mail.example.com [192.0.2.25]) by mx.example.com (Postfix) with ESMTPS id 1"
for i in $(seq 1 12); do
	printf 'Authentication-Results: mx.example.com; dkim=pass header.d=example.com\n%s\nFrom: Alice Smith <alice@example.com>\nTo: support@example.com\nSubject: Re: [TKT-0001] Question 1\nMessage-ID: <a%s@example.com>\n\nAnswer %s.\n' "$STAFF_HDR" "$i" "$i" | "$PD" deliver 2>>"$TMP/deliver.err"
	printf 'From: Carol <carol@example.org>\nTo: support@example.com\nSubject: Re: [TKT-0001] Question 1\nMessage-ID: <c%s@example.org>\n\nThanks %s.\n' "$i" "$i" | "$PD" deliver 2>>"$TMP/deliver.err"
done
is "24 mails on one ticket: every relayed reply queued" \
	"$(sql "SELECT count(*) || ' ' || sum(status = 'held') FROM outbox WHERE event = 'staff_reply'")" "12 0"
is "relays are a person's mail" "$(sql "SELECT DISTINCT audience FROM outbox WHERE event = 'staff_reply'")" person
is "the staff notifications are under their own limit (30): none held" \
	"$(sql "SELECT count(*) FROM outbox WHERE audience = 'staff' AND status = 'held'")" 0

# outbox release ID|REF|all
for i in 7 8; do new_mail $i | "$PD" deliver 2>/dev/null; done
is "two more held" "$(sql "SELECT count(*) FROM outbox WHERE status = 'held'")" 2
id=$(sql "SELECT id FROM outbox WHERE status = 'held' ORDER BY id LIMIT 1")
is "release ID" "$("$PD" outbox release "$id")" "released 1 held mail"
is "release REF" "$("$PD" outbox release TKT-0008)" "released 1 held mail"
is "release all: none left" "$("$PD" outbox release all)" "released 0 held mails"
"$PD" outbox release 99999 2>"$TMP/err"
is "release an unknown ID: 64" "$?" 64
is "nothing held now" "$(sql "SELECT count(*) FROM outbox WHERE status = 'held'")" 0

# history
"$PD" history TKT-0006 > "$TMP/h" 2>&1
is "history: exit 0" "$?" 0
ok "history: the customer's message" grep -q " message  customer .*carol@example.org  Question 6" "$TMP/h"
ok "history: the acknowledgement held, with the reason" grep -q " held     ticket_created .*carol@example.org  rate limit: too many automatic replies" "$TMP/h"
ok "history: and sent" grep -q " sent     ticket_created .*carol@example.org" "$TMP/h"
"$PD" history TKT-0006 --json > "$TMP/hj"
is "history --json: types in order" "$($PY -c 'import json,sys; print(" ".join(e["type"] for e in json.load(open(sys.argv[1]))))' "$TMP/hj")" \
	"message event event queued queued queued queued queued held sent sent sent sent sent"
"$PD" history TKT-9999 2>"$TMP/err"
is "history of an unknown ticket: 65" "$?" 65
[ "$T_FAIL" = 0 ] || sed 's/^/# /' "$TMP/h"
finish
