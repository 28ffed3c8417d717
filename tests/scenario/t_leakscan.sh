#!/bin/bash
# t_leakscan.sh: the outgoing-mail scan that every scenario test ends
# with (tests/tools/leakscan.py) finds each kind of leak: a staff address,
# a tokenised reply address, the notification's marker and footer, a
# note's text, in an SMTP sink, a mailbox and the outbox; mail to staff
# may hold all of them.
. "$(dirname "$0")/lib.sh"
SCAN="$top_srcdir/tests/tools/leakscan.py"
write_config
# A note, a customer's own words in a note (not a leak when the customer
# gets them back), and one queued mail to a customer holding the note.
$PY - "$TMP/var/postdesk.db" <<'PYEOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("INSERT INTO customers (id, email, created_at) VALUES (1, 'carol@example.org', 0)")
db.execute("INSERT INTO tickets (id, ref, subject, customer_id, queue, status, priority, created_at, updated_at) "
           "VALUES (1, 'TKT-0001', 's', 1, 'Support', 'open', 'normal', 0, 0)")
for kind, body in (("customer", "My printer is on fire since Monday."),
                   ("note", "Internal: she keeps it next to the heater.\n> My printer is on fire since Monday.")):
    db.execute("INSERT INTO messages (ticket_id, kind, date, body) VALUES (1, ?, 0, ?)", (kind, body))
db.commit()
PYEOF
scan() { $PY "$SCAN" "$TMP" > "$TMP/scan.out"; }
leaks() { sed -n 's/^# leak: //p' "$TMP/scan.out" | sed 's/^.* to [^ :]*: //' | sort | tr '\n' ';'; }
sink() {	# sink N RCPT BODY: a mail the SMTP sink received
	mkdir -p "$TMP/smtp"
	printf 'MAIL FROM support@example.com\nRCPT TO %s\n' "$2" > "$TMP/smtp/$1.env"
	printf 'From: Support <support@example.com>\nTo: %s\nSubject: x\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n%s\n' \
		"$2" "$(printf '%s' "$3" | base64 -w 60)" > "$TMP/smtp/$1.eml"
}
ok "no mail: passes" scan
sink 0001 carol@example.org "Hello Carol, we are on it. My printer is on fire since Monday."
ok "a clean mail to a customer (with her own words a note quotes): passes" scan
is "  and says what it scanned" "$(tail -1 "$TMP/scan.out")" \
	"# leakscan: 0 outbox, 1 SMTP sink and 0 mailbox mails, 1 of them to customers; 2 staff addresses, 1 note lines: 0 leaks"
sink 0002 bob@example.com "alice@example.com ##- Please write your reply above this line -## Internal: she keeps it next to the heater."
ok "the same to staff: passes" scan
sink 0003 carol@example.org "Ask alice@example.com, or reply to support+TKT-0001.0a1b2c3d@example.com"
not() { ! "$@"; }
ok "a staff address and a token to a customer: fails" not scan
is "  both named" "$(leaks)" "staff address alice@example.com;tokenised reply address +TKT-0001.0a1b2c3d@;"
rm "$TMP/smtp/0003".*
mkdir -p "$TMP/mail/dave@example.org/cur"
printf 'From: x@example.com\nTo: dave@example.org\nSubject: x\n\n> ##- Please write your reply above this line -##\n> Reply to this mail to answer the customer.\n' \
	> "$TMP/mail/dave@example.org/cur/1.eml"
ok "the notification quoted into a customer's mailbox: fails" not scan
is "  marker and footer named" "$(leaks)" "notification text '##- Please write your reply above this line -##';notification text 'Reply to this mail to answer the customer';"
rm -r "$TMP/mail"
$PY - "$TMP/var/postdesk.db" <<'PYEOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
raw = b"From: Support <support@example.com>\r\nTo: carol@example.org\r\nSubject: x\r\n\r\nWe checked. Internal: she keeps it\r\n next to the heater.\r\n"
cur = db.execute("INSERT INTO outbox (ticket_id, event, message_id, mail_from, created_at, next_try, raw) VALUES (1, 'staff_reply', 'm1@example.com', 'support@example.com', 0, 0, ?)", (raw,))
db.execute("INSERT INTO outbox_rcpts (outbox_id, addr) VALUES (?, 'carol@example.org')", (cur.lastrowid,))
db.commit()
PYEOF
ok "a note's text in a queued mail to a customer (wrapped anyhow): fails" not scan
is "  the note named" "$(leaks)" "note text 'internal: she keeps it next to the heater.';"
# finish scans $TMP once more: leave it clean.
$PY -c 'import sqlite3, sys; db = sqlite3.connect(sys.argv[1]); db.execute("DELETE FROM outbox_rcpts"); db.execute("DELETE FROM outbox"); db.commit()' "$TMP/var/postdesk.db"
finish
