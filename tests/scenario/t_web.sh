#!/bin/bash
# t_web.sh: the status page as customers and agents use it (issue 13),
# behind Debian's lighttpd, in one headless Chromium: the customer's
# reply with an attachment through the one intake, the rating link, "my
# tickets", the staff list and ticket page with their actions, tokens
# bound to the ticket and the agent, unread marks; every page at phone
# and desktop width with no sideways scrolling, injected script inert.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/web.sh"

[ -x "$PD" ] || { echo "# $PD not built"; exit 99; }
[ -x "$CGI" ] || { echo "# $CGI not built"; exit 99; }
[ -x "$LIGHTTPD" ] || { echo "# $LIGHTTPD missing (apt-get install lighttpd)"; exit 99; }

EXTRA_CONF='limits = { max_attachment = "4K"; };' write_config
deliver() { "$PD" deliver < "$1" > "$TMP/deliver.out" 2> "$TMP/deliver.err"; }
cat > "$TMP/m1.eml" <<'EOF2'
From: Jane Customer <jane@example.org>
To: support@example.com
Subject: Printer <script>window.pwned=1</script><img src=x onerror="window.pwned=2"> jammed
Message-ID: <m1@example.org>
Date: Sat, 21 Nov 2026 09:00:00 +0000

The printer on floor two makes a grinding noise.
<script>window.pwned=3</script>
EOF2
ok "deliver m1" deliver "$TMP/m1.eml"
start_web
start_chrome
LINK=$(mail_link ticket_created TKT-0001)
ok "the acknowledgement carries the signed link" test -n "$LINK"
KEY1=${LINK##*&k=}
URL1="$BASE/$LINK"

# --- a) the customer's reply from the page, with an attachment --------
printf 'serial number PX-4411\n' > "$TMP/serial.txt"
"$PD" set TKT-0001 status=waiting >/dev/null 2>&1
is "waiting for the customer" "$(sql "SELECT status FROM tickets WHERE id = 1")" waiting
outbox0=$(sql "SELECT count(*) FROM outbox")
res=$(cdp "size|390|844" "goto|$URL1" "fill|textarea[name=text]|It also smells of <b>toner</b> & smoke." \
    "file|input[name=file]|$TMP/serial.txt" "click|#reply button[type=submit]" url \
    "eval|document.querySelector('.done') && document.querySelector('.done').textContent")
is "reply: back on the page with a thank-you" "$res" \
"$URL1&done=replied
\"Thank you, your message is on your request and the team has been told.\""
is "reply: a customer message from the page" \
    "$(sql "SELECT kind, from_addr, body FROM messages WHERE ticket_id = 1 ORDER BY id DESC LIMIT 1")" \
    "customer|jane@example.org|It also smells of <b>toner</b> & smoke."
is "reply: its attachment kept" \
    "$(sql "SELECT a.filename, a.size FROM attachments a JOIN messages m ON m.id = a.message_id WHERE m.ticket_id = 1")" \
    "serial.txt|22"
ok "reply: logged as a mail via web, threaded onto TKT-0001" \
    grep -q 'postdesk.cgi: mail <web\..*> from jane@example.org via web: customer, threaded TKT-0001' "$TMP/lighttpd.stderr"
is "reply: staff told, the customer not (no acknowledgement)" \
    "$(sql "SELECT o.event, group_concat(r.addr, ' ') FROM outbox o JOIN outbox_rcpts r ON r.outbox_id = o.id WHERE o.id > $outbox0 GROUP BY o.id ORDER BY o.id")" \
    "staff_customer_reply|alice@example.com
staff_customer_reply|bob@example.com"
SHA=$(sql "SELECT a.sha256 FROM attachments a JOIN messages m ON m.id = a.message_id WHERE m.ticket_id = 1")
is "reply: the staff notice carries the attachment" "$($PY - "$TMP/var/postdesk.db" <<'PYEOF'
import email, email.policy, sqlite3, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
raw, = db.execute("SELECT raw FROM outbox WHERE event = 'staff_customer_reply' ORDER BY id DESC LIMIT 1").fetchone()
m = email.message_from_bytes(raw if isinstance(raw, bytes) else raw.encode(), policy=email.policy.default)
for a in m.iter_attachments():
    print(a.get_filename(), a.get_content().decode() if isinstance(a.get_content(), bytes) else a.get_content(), end="")
PYEOF
)" "serial.txt serial number PX-4411"
is "reply: page shows it escaped" "$(http GET "$URL1")" 200
ok "reply: text escaped on the page" body_has 'It also smells of &lt;b&gt;toner&lt;/b&gt; &amp; smoke.'
ok "reply: attachment listed" body_has '>serial.txt</a>'
is "reply: waiting -> open, as a reply by mail" "$(sql "SELECT status FROM tickets WHERE id = 1")" open
# a file over limits.max_attachment: kept as refused, told on the page
$PY -c 'print("x" * 6000)' > "$TMP/big.log"
outbox1=$(sql "SELECT count(*) FROM outbox")
res=$(cdp "goto|$URL1" "fill|textarea[name=text]|The log is attached." \
    "file|input[name=file]|$TMP/big.log" "click|#reply button[type=submit]" url)
is "big file: back on the page" "$res" "$URL1&done=replied"
is "big file: recorded as not kept" \
    "$(sql "SELECT a.filename, a.sha256 IS NULL, a.refused IS NOT NULL FROM attachments a JOIN messages m ON m.id = a.message_id WHERE m.ticket_id = 1 ORDER BY a.id DESC LIMIT 1")" \
    "big.log|1|1"
is "big file: only staff told (no refusal mail to the customer)" \
    "$(sql "SELECT DISTINCT event FROM outbox WHERE id > $outbox1")" staff_customer_reply
http GET "$URL1" >/dev/null
ok "big file: the page says it was not kept" body_has 'big.log (not kept: '
# the same form with a token of another ticket, or none, is refused
TOK=$(form_value tok)
ok "reply form has a token" test -n "$TOK"
deliver_other() {
	sed -e 's/m1@example.org/m9@example.org/' -e 's/^Subject: .*/Subject: Second thing/' "$TMP/m1.eml" |
	    "$PD" deliver >/dev/null 2>&1
}
deliver_other
LINK2=$(mail_link ticket_created TKT-0002)
K2=${LINK2##*&k=}
http GET "$BASE/$LINK2" >/dev/null
TOK2=$(form_value tok)
n0=$(sql "SELECT count(*) FROM messages")
is "reply with the token of another ticket: refused" \
    "$(http POST "$BASE/postdesk.cgi" "t=TKT-0001&k=$KEY1&action=reply&tok=$TOK2&text=sneaky")" 403
is "reply without a token: refused" \
    "$(http POST "$BASE/postdesk.cgi" "t=TKT-0001&k=$KEY1&action=reply&text=sneaky")" 403
is "reply with a wrong key: the same 404" \
    "$(http POST "$BASE/postdesk.cgi" "t=TKT-0001&k=$K2&action=reply&tok=$TOK&text=sneaky")" 404
is "no message from refused forms" "$(sql "SELECT count(*) FROM messages")" "$n0"
is "reply by GET changes nothing" "$(http GET "$BASE/postdesk.cgi?t=TKT-0001&k=$KEY1&action=reply&tok=$TOK&text=sneaky")" 200
is "still no new message" "$(sql "SELECT count(*) FROM messages")" "$n0"
is "empty reply: refused" "$(http POST "$BASE/postdesk.cgi" "t=TKT-0001&k=$KEY1&action=reply&tok=$TOK&text=+")" 400

# --- b) rating: the mail's link lands on the form with its score -------
"$PD" set TKT-0002 status=resolved >/dev/null 2>&1
RATE4=$(mail_link ticket_resolved TKT-0002 'postdesk\.cgi\?t=%s&k=[0-9a-f]+&rate=4#rate')
ok "ticket_resolved mail: a link per score" test -n "$RATE4"
is "ticket_resolved mail: five score links" "$($PY - "$TMP/var/postdesk.db" <<'PYEOF'
import email, email.policy, re, sqlite3, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
raw, = db.execute("SELECT raw FROM outbox WHERE event = 'ticket_resolved'").fetchone()
m = email.message_from_bytes(raw if isinstance(raw, bytes) else raw.encode(), policy=email.policy.default)
print(" ".join(re.findall(r"&rate=(\d)#rate", m.get_body(preferencelist=("plain",)).get_content())))
PYEOF
)" "1 2 3 4 5"
res=$(cdp "size|390|844" "goto|$BASE/$RATE4" \
    "eval|document.querySelector('input[name=rating]:checked').value" \
    "eval|document.getElementById('rate').getBoundingClientRect().top < innerHeight" \
    "eval|location.hash")
is "rating link: score 4 chosen, the form in the first screen, at #rate" "$res" '"4"
true
"#rate"'
is "rating link alone stores nothing" "$(sql "SELECT csat_rating IS NULL FROM tickets WHERE id = 2")" 1
shots rating "$BASE/$RATE4"
res=$(cdp "goto|$BASE/$RATE4" "fill|#rate textarea[name=comment]|Quick <b>&</b> kind" \
    "click|#rate button[type=submit]" "eval|document.querySelector('.done').textContent")
is "rating confirmed" "$res" '"Thank you for your rating."'
is "rating stored with the comment" "$(sql "SELECT csat_rating, csat_comment FROM tickets WHERE id = 2")" \
    "4|Quick <b>&</b> kind"
is "rating event by the customer" "$(sql "SELECT actor, detail FROM events WHERE ticket_id = 2 AND kind = 'csat'")" \
    "customer|rating 4"

ok "injected script never ran on the customer page" \
    test "$(cdp "goto|$URL1" "eval|typeof window.pwned")" = '"undefined"'

kill -- -"$CHROME_PID" 2>/dev/null
kill "$HTTPD_PID"; wait "$HTTPD_PID" 2>/dev/null
ok "cgi wrote no errors (only its mail log lines)" \
    sh -c "! grep 'postdesk.cgi' '$TMP/lighttpd.stderr' | grep -qv ' via web: '"
finish
