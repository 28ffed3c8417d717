#!/bin/bash
# Answer only people (SPEC 3, issue 9) through the real commands: the
# null envelope sender from `deliver --sender ""`, `-f ""`, "<>", the
# MTA's $SENDER, and Return-Path: <> taken in from a private Dovecot by
# postdeskd; robot and bulk senders; DMARC and SPF failures; the flood
# limit with its one staff notice.  Each such mail is stored, staff are
# told why, and its sender is sent nothing.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenario/lib.sh"
. "$top_srcdir/tests/scenario/dovecot.sh"
PDD=${POSTDESKD:-$top_builddir/postdeskd}

# mail FROM SUBJECT [EXTRA-HEADER]: a customer mail on stdout.
N=0
mail() {
	N=$((N + 1))
	printf 'From: %s\nTo: support@example.com\nSubject: %s\n' "$1" "$2"
	printf 'Message-ID: <robots-%d@example.org>\nDate: Mon, 23 Nov 2026 10:00:00 +0000\n' "$N"
	[ -n "${3:-}" ] && printf '%b\n' "$3"
	printf '\nHello, please help.\n'
}
# acks: acknowledgements queued to ADDR; told: staff notices holding TEXT.
acks() { sql "SELECT count(*) FROM outbox o JOIN outbox_rcpts r ON r.outbox_id = o.id WHERE o.event = 'ticket_created' AND r.addr = '$1'"; }
told() {
	$PY - "$TMP/var/postdesk.db" "$1" <<'PYEOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
n = sum(1 for (raw,) in db.execute("SELECT raw FROM outbox WHERE event = 'staff_new_ticket'")
        if sys.argv[2].encode() in bytes(raw))
print(n)
PYEOF
}

start_smtp || exit 1	# postdeskd --once sends what is queued
write_config

# 1. The null sender, however the MTA says it.
mail "Carol <carol@example.org>" "Invoice question" | "$PD" deliver --sender ""
is "deliver --sender \"\": stored as a ticket" "$(sql "SELECT count(*) FROM tickets t JOIN customers c ON c.id = t.customer_id WHERE c.email = 'carol@example.org'")" 1
is "deliver --sender \"\": no acknowledgement" "$(acks carol@example.org)" 0
is "deliver --sender \"\": both staff told why" "$(told 'not acknowledged: null envelope sender')" 2
is "deliver --sender \"\": the ticket records it" \
	"$(sql "SELECT detail FROM events WHERE kind = 'not_answered'")" "not acknowledged: null envelope sender"
mail "Dan <dan@example.org>" "Refund" | "$PD" deliver -f ""
is "deliver -f \"\": no acknowledgement" "$(acks dan@example.org)" 0
mail "Erin <erin@example.org>" "Refund" | "$PD" deliver --sender "<>"
is "deliver --sender \"<>\": no acknowledgement" "$(acks erin@example.org)" 0
mail "Fay <fay@example.org>" "Refund" | RECIPIENT=support@example.com SENDER= "$PD" deliver
is "deliver under local(8) with SENDER empty: no acknowledgement" "$(acks fay@example.org)" 0
is "null-sender notices: 2 staff each for 4 mails" "$(told 'not acknowledged: null envelope sender')" 8
# An envelope sender overrides a Return-Path header, both ways.
mail "Gus <gus@example.org>" "Refund" "Return-Path: <>" | "$PD" deliver -f gus@example.org
is "deliver -f ADDR beats Return-Path: <>: acknowledged" "$(acks gus@example.org)" 1
mail "Hal <hal@example.org>" "Refund" | "$PD" deliver
is "an ordinary mail is acknowledged" "$(acks hal@example.org)" 1
mail "Hal <hal@example.org>" "Second" | RECIPIENT=support@example.com SENDER=hal@example.org "$PD" deliver
is "SENDER set to a person: acknowledged" "$(acks hal@example.org)" 2
is "ordinary mail: no 'not acknowledged' line" \
	"$(sql "SELECT count(*) FROM events WHERE kind = 'not_answered'")" 4

# 2. Robots and bulk senders: one per kind of row.
mail "Shop <no-reply@shop.example>" "Your order has shipped" | "$PD" deliver
mail "Bank <do_not_reply@bank.example>" "Statement" | "$PD" deliver
mail "List <users-request@lists.example.org>" "Confirm" | "$PD" deliver
mail "Owner <owner-users@lists.example.org>" "Moderation" | "$PD" deliver
mail "MAILER-DAEMON@mx.example.net" "Mailbox almost full" | "$PD" deliver
mail "postmaster@isp.example" "Policy change" | "$PD" deliver
mail "News <news@brand.example>" "Sale" "Feedback-ID: 1:2:brand:esp" | "$PD" deliver
mail "News <news2@brand.example>" "Sale" "X-Mailchimp-Campaign: 42" | "$PD" deliver
mail "Ship <ship-confirm@store.example>" "Shipped" "X-SES-Outgoing: 2026.11.23-54.240.1.1" | "$PD" deliver
mail "News <news3@brand.example>" "Sale" "X-CampaignID: spring" | "$PD" deliver
is "robots: no acknowledgement to any of the 10" \
	"$(sql "SELECT count(*) FROM outbox o JOIN outbox_rcpts r ON r.outbox_id = o.id WHERE o.event = 'ticket_created' AND r.addr NOT IN ('gus@example.org', 'hal@example.org')")" 0
is "robots: every one is a ticket" "$(sql 'SELECT count(*) FROM tickets')" 17
is "robots: no-reply told" "$(told 'not acknowledged: sender is a no-reply address')" 4
is "robots: *-request told" "$(told 'not acknowledged: sender is a mailing list (*-request)')" 2
is "robots: owner-* told" "$(told 'not acknowledged: sender is a mailing list (owner-*)')" 2
is "robots: MAILER-DAEMON told" "$(told 'not acknowledged: sender is a mail system (MAILER-DAEMON)')" 2
is "robots: postmaster told" "$(told 'not acknowledged: sender is a mail system (postmaster)')" 2
is "robots: Feedback-ID told" "$(told 'not acknowledged: bulk mail (Feedback-ID)')" 2
is "robots: X-Mailchimp told" "$(told 'not acknowledged: bulk mail (X-Mailchimp)')" 2
is "robots: X-SES-Outgoing told" "$(told 'not acknowledged: bulk mail (Amazon SES)')" 2
is "robots: X-Campaign told" "$(told 'not acknowledged: bulk mail (X-Campaign)')" 2
# Automatic mail to no ticket opens none and tells nobody (SPEC 3 step 3).
before=$(sql 'SELECT count(*) FROM outbox')
mail "Ivy <ivy@example.org>" "Automatic reply: Refund" "Auto-Submitted: auto-replied" | "$PD" deliver
mail "Ivy <ivy@example.org>" "Weekly digest" "List-Id: <users.lists.example.org>" | "$PD" deliver
mail "Ivy <ivy@example.org>" "Out of Office" | "$PD" deliver
is "automatic mail: no mail at all" "$(sql 'SELECT count(*) FROM outbox')" "$before"
is "automatic mail: kept in quarantine" \
	"$(sql "SELECT count(*) FROM quarantine WHERE reason LIKE 'automatic mail that answers no ticket%'")" 3
mail "Vera <vera@example.org>" "Vacation rental problem" | "$PD" deliver
is "\"Vacation rental problem\" is a customer: acknowledged" "$(acks vera@example.org)" 1

# 3. Authentication results from our MX (auth.authserv_id).
AR="Authentication-Results: mx.example.com; spf=softfail smtp.mailfrom=phish.example;\n dmarc=fail (p=REJECT sp=REJECT dis=NONE) header.from=bank.example"
mail "Bank <security@bank.example>" "Verify your account" "$AR" | "$PD" deliver
is "DMARC p=reject failed: no acknowledgement" "$(acks security@bank.example)" 0
is "DMARC failed: staff told" "$(told 'not acknowledged: DMARC failed')" 2
mail "Pay <pay@pay.example>" "Invoice" "Authentication-Results: mx.example.com; spf=fail smtp.mailfrom=pay.example" | "$PD" deliver
is "SPF failed: no acknowledgement" "$(acks pay@pay.example)" 0
is "SPF failed: staff told" "$(told 'not acknowledged: SPF failed')" 2
mail "Pay <pay2@pay.example>" "Invoice" "Authentication-Results: evil.example; spf=fail smtp.mailfrom=pay.example" | "$PD" deliver
is "SPF fail from another authserv-id: acknowledged" "$(acks pay2@pay.example)" 1

# 4. IMAP: Return-Path: <> in the stored mail, taken in by postdeskd.
if [ -x "$PDD" ] && start_dovecot; then
	MAILBOX="mailboxes = ( { name = \"support\"; url = \"imap://127.0.0.1:$IMAP_PORT/INBOX\";
  user = \"$IMAP_USER\"; password_file = \"$IMAP_PASSFILE\"; queue = \"Support\";
  after = \"move:Processed\"; poll = \"2s\"; } );"
	EXTRA_CONF=$MAILBOX write_config
	{ printf 'Return-Path: <>\n'; mail "Kim <kim@example.org>" "Calendar"; } > "$TMP/imap-null.eml"
	mail "Lou <lou@example.org>" "Printer" > "$TMP/imap-person.eml"
	imap_append "$TMP/imap-null.eml" && imap_append "$TMP/imap-person.eml"
	PDD_CMD=("$PDD")
	if [ "$(id -u)" = 0 ]; then
		PDD_CMD=("$PDD" -u nobody)
		chown -R nobody "$TMP/var" "$TMP/etc"
	fi
	"${PDD_CMD[@]}" -c "$POSTDESK_CONF" -f --once >"$TMP/once.out" 2>"$TMP/once.err"
	is "IMAP: postdeskd --once exits 0" "$?" 0
	sed 's/^/#   /' "$TMP/once.err" | head -5
	is "IMAP: both mails are tickets" "$(sql "SELECT count(*) FROM tickets t JOIN customers c ON c.id = t.customer_id WHERE c.email IN ('kim@example.org', 'lou@example.org')")" 2
	is "IMAP Return-Path: <>: no acknowledgement" "$(acks kim@example.org)" 0
	is "IMAP Return-Path: <>: staff told (8 before)" "$(told 'not acknowledged: null envelope sender')" 10
	is "IMAP ordinary mail: acknowledged" "$(acks lou@example.org)" 1
	stop_dovecot
else
	ok "IMAP: Dovecot and postdeskd are there to test Return-Path: <>" false
fi

# 5. Floods: past limits.new_tickets_per_sender new tickets an hour from
# one address, its new mail is quarantined ("flood"), staff told once.
rm -rf "$TMP/var"
EXTRA_CONF='limits = { new_tickets_per_sender = 3; autoreplies_per_hour = 100; };' write_config
for i in 1 2 3 4 5 6; do mail "Max <max@example.org>" "Problem $i" | "$PD" deliver; done
is "flood: 3 tickets for the limit of 3" "$(sql 'SELECT count(*) FROM tickets')" 3
is "flood: the other 3 kept in quarantine as flood" \
	"$(sql "SELECT count(*) FROM quarantine WHERE reason = 'flood' AND from_addr = 'max@example.org'")" 3
is "flood: one notice to each of the queue's staff" \
	"$(sql "SELECT group_concat(r.addr, ',') FROM outbox o JOIN outbox_rcpts r ON r.outbox_id = o.id WHERE o.event = 'staff_flood'")" \
	"alice@example.com,bob@example.com"
is "flood: acknowledgements only for the 3 tickets" "$(acks max@example.org)" 3
flood_text() {
	$PY - "$TMP/var/postdesk.db" <<'PYEOF'
import email, email.policy, re, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for (raw,) in db.execute("SELECT raw FROM outbox WHERE event = 'staff_flood' ORDER BY id LIMIT 1"):
    m = email.message_from_bytes(bytes(raw), policy=email.policy.default)
    print(m["Subject"])
    print(re.split(r"\n\s*\n", m.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n"))[0].strip().replace("\n", " "))
PYEOF
}
is "flood: the notice names the address and the limit" "$(flood_text)" \
	"Mail from max@example.org held: too many new tickets
max@example.org opened more new tickets in Support than limits.new_tickets_per_sender allows (3 new tickets in the last hour, the limit is 3)."
mail "Max <max@example.org>" "Re: [TKT-0001] Problem 1" | "$PD" deliver
is "flood: a reply on its ticket still threads" \
	"$(sql "SELECT count(*) FROM messages m JOIN tickets t ON t.id = m.ticket_id WHERE t.ref = 'TKT-0001'")" 2
mail "Ned <ned@example.org>" "Other person" | "$PD" deliver
is "flood: another address is not held" "$(acks ned@example.org)" 1
# An hour later the address may open tickets again.
for i in 7 8; do mail "Max <max@example.org>" "Problem $i" | POSTDESK_NOW=$(( $(date +%s) + 3700 )) "$PD" deliver; done
is "flood: an hour later new tickets again" "$(sql 'SELECT count(*) FROM tickets')" 6

# The default limit is 20.
rm -rf "$TMP/var"
write_config
for i in $(seq 1 23); do mail "Zed <zed@example.org>" "Issue $i" | "$PD" deliver; done
is "flood default: 20 tickets" "$(sql 'SELECT count(*) FROM tickets')" 20
is "flood default: 3 in quarantine" "$(sql "SELECT count(*) FROM quarantine WHERE reason = 'flood'")" 3
is "flood default: 2 staff notices" "$(sql "SELECT count(*) FROM outbox WHERE event = 'staff_flood'")" 2
finish
