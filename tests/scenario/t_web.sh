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

EXTRA_CONF='limits = { max_attachment = "4K"; ticket_mails_per_10min = 4; lookups_pending = 250; };' write_config
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
is "reply: the staff notice carries the attachment" "$(mail_py staff_customer_reply "for a in m.iter_attachments():
    c = a.get_content()
    print(a.get_filename(), c.decode() if isinstance(c, bytes) else c, end='')")" "serial.txt serial number PX-4411"
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
ok "refused reply: nothing lost, the text back in a fresh form" \
    grep -q '<textarea name="text" rows="6" maxlength="20000">sneaky</textarea>' "$TMP/body"
is "reply with a wrong key: the same 404" \
    "$(http POST "$BASE/postdesk.cgi" "t=TKT-0001&k=$K2&action=reply&tok=$TOK&text=sneaky")" 404
is "no message from refused forms" "$(sql "SELECT count(*) FROM messages")" "$n0"
is "reply by GET changes nothing" "$(http GET "$BASE/postdesk.cgi?t=TKT-0001&k=$KEY1&action=reply&tok=$TOK&text=sneaky")" 200
is "still no new message" "$(sql "SELECT count(*) FROM messages")" "$n0"
is "empty reply: refused" "$(http POST "$BASE/postdesk.cgi" "t=TKT-0001&k=$KEY1&action=reply&tok=$TOK&text=+")" 400

# --- b) rating: the mail's link lands on the form with its score -------
# A template naming {{rating_url}} (the form, no score chosen), as the
# mail is rendered when it is sent.
printf '\nOr open the form: {{rating_url}}\n' >> "$TMP/etc/templates/ticket_resolved.txt"
"$PD" set TKT-0002 status=resolved >/dev/null 2>&1
RATE4=$(mail_link ticket_resolved TKT-0002 'postdesk\.cgi\?t=%s&k=[0-9a-f]+&rate=4#rate')
ok "ticket_resolved mail: a link per score" test -n "$RATE4"
is "ticket_resolved mail: five score links" "$(mail_py ticket_resolved "print(' '.join(re.findall(r'&rate=(\\d)#rate', text)))")" "1 2 3 4 5"
is "ticket_resolved mail: {{rating_url}} is the form with no score chosen" \
    "$(mail_py ticket_resolved "print(' '.join(re.findall(r'Or open the form: \\S+', text)))" | sed 's/k=[0-9a-f]*/k=K/')" \
    "Or open the form: http://127.0.0.1/cgi-bin/postdesk.cgi?t=TKT-0002&k=K#rate"
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

# --- c) the staff list ---------------------------------------------------
ALICE=alice@example.com:wonderland
BOB=bob@example.com:builder
STAFF="$BASE/staff/postdesk.cgi"
cat > "$TMP/m3.eml" <<'EOF2'
From: Carl Client <carl@client.test>
To: support@example.com
Subject: Held mail <i>test</i>
Message-ID: <m3@client.test>
Date: Sat, 21 Nov 2026 09:10:00 +0000

Please call me back.
EOF2
ok "deliver m3" deliver "$TMP/m3.eml"
# five automatic mails to Carl within ten minutes: the limit (4) holds the rest
for st in in_progress open on_hold in_progress waiting; do
	"$PD" set TKT-0003 status=$st >/dev/null 2>&1
done
HELD=$(sql "SELECT count(*) FROM outbox WHERE ticket_id = 3 AND status = 'held'")
ok "a mail of TKT-0003 is held" test "$HELD" -ge 1
is "plain URL, alice signed in: the staff list" "$(http GET "$STAFF" "" "$ALICE")" 200
ok "list: TKT-0001 unread for alice, marked in words" \
    grep -q '<li class="t unread"><a class="tl" href="[^"]*ref=TKT-0001"><span class="new">&#9679; new</span>' "$TMP/body"
ok "list: status badge with its word" body_has '<span class="b st-open">open</span>'
ok "list: priority badge with its word" body_has '<span class="b pr-normal">normal</span>'
ok "list: SLA state on track" body_has '<span class="b sla-ok">SLA on track</span>'
ok "list: SLA paused for a ticket on hold or waiting" body_has '<span class="b sla-paused">SLA paused</span>'
ok "list: unassigned and the queue" body_has '<span class="who">unassigned</span> &middot; Support'
ok "list: subject escaped" body_has 'Held mail &lt;i&gt;test&lt;/i&gt;'
ok "list: tab counts" body_has '>open (1)</a>'
ok "list: a mine tab" body_has '>mine (0)</a>'
ok "list: the resolved count" body_has '>resolved (1)</a>'

# --- d) the staff ticket page and its actions ----------------------------
is "ticket page" "$(http GET "$STAFF?view=staff&ref=TKT-0003" "" "$ALICE")" 200
ok "ticket page: held mail shown" body_has '<section class="box held" id="held"><h2>Held mail</h2>'
ok "ticket page: how to release it" body_has 'release with <code>postdesk outbox release '
ok "ticket page: the history as postdesk history has it" \
    test "$(grep -c '<li class="h-' "$TMP/body")" = "$("$PD" history TKT-0003 | tail -n +2 | wc -l)"
ok "ticket page: a held step in the history" body_has '<strong>held</strong>'
is "list after opening TKT-0001" "$(http GET "$STAFF?view=staff&ref=TKT-0001" "" "$ALICE")" 200
TOKA1=$(form_value tok)
ok "ticket page: the list beside it, TKT-0001 no longer unread for alice" \
    grep -q '<li class="t cur"><a class="tl" href="[^"]*ref=TKT-0001" aria-current="page"><span class="ref">TKT-0001' "$TMP/body"
http GET "$STAFF" "" "$BOB" >/dev/null
ok "still unread for bob" grep -q '<li class="t unread"><a class="tl" href="[^"]*ref=TKT-0001">' "$TMP/body"
http GET "$STAFF?view=staff&ref=TKT-0002" "" "$ALICE" >/dev/null
TOKA2=$(form_value tok)
ok "ticket page: the customer's rating" body_has '<tr><th>Customer rating</th><td>4 of 5: Quick &lt;b&gt;&amp;&lt;/b&gt; kind</td></tr>'
http GET "$STAFF?view=staff&ref=TKT-0001" "" "$BOB" >/dev/null
TOKB1=$(form_value tok)

# each action: the change, the actor, the mails (as by mail)
act() {	# act AUTH FORM: POST to the staff view, prints the status
	http POST "$STAFF" "view=staff&ref=TKT-0001&$2" "$1"
}
mails_since() {	# event:rcpt list of the outbox rows after id $1
	sql "SELECT o.event || ':' || group_concat(r.addr, ',') FROM outbox o JOIN outbox_rcpts r ON r.outbox_id = o.id WHERE o.id > $1 GROUP BY o.id ORDER BY o.id" | tr '\n' ' '
}
last=$(sql "SELECT max(id) FROM outbox")
is "token of another ticket refused" "$(act "$ALICE" "tok=$TOKA2&action=priority&value=high")" 403
is "token of another agent refused" "$(act "$ALICE" "tok=$TOKB1&action=priority&value=high")" 403
is "no token refused" "$(act "$ALICE" "action=priority&value=high")" 403
is "expired note form: refused, the text kept on the page" \
    "$(act "$ALICE" "tok=1000.00000000000000000000000000000000&action=note&text=a+%3Cnote%3E")|$(grep -c '<pre class="msg">a &lt;note&gt;</pre>' "$TMP/body")" "403|1"
is "a signed-in non-staff user refused" "$(act mallory@example.net:sneaky "tok=$TOKA1&action=priority&value=high")" 403
is "unknown value refused" "$(act "$ALICE" "tok=$TOKA1&action=priority&value=huge")" 400
is "refused forms changed nothing" "$(sql "SELECT priority FROM tickets WHERE id = 1")|$(sql "SELECT max(id) FROM outbox")" "normal|$last"

is "priority: 303 back to the ticket" "$(act "$ALICE" "tok=$TOKA1&action=priority&value=high")" 303
is "priority: where to" "$(header Location)" "postdesk.cgi?view=staff&ref=TKT-0001&done=priority"
is "priority: set, alice the actor" "$(sql "SELECT t.priority, e.actor FROM tickets t JOIN events e ON e.ticket_id = t.id WHERE t.id = 1 AND e.kind = 'priority'")" \
    "high|alice@example.com"
is "priority: no mail (as by mail)" "$(mails_since "$last")" ""

is "assign bob" "$(act "$ALICE" "tok=$TOKA1&action=assign&value=bob@example.com")" 303
is "assign: assignee and actor" "$(sql "SELECT t.assignee, e.actor, e.detail FROM tickets t JOIN events e ON e.ticket_id = t.id WHERE t.id = 1 AND e.kind = 'assign'")" \
    "bob@example.com|alice@example.com|assignee: none -> bob@example.com"
is "assign: bob told" "$(mails_since "$last")" "ticket_assigned:bob@example.com "
last=$(sql "SELECT max(id) FROM outbox")

is "label" "$(act "$ALICE" "tok=$TOKA1&action=label&value=printer")" 303
is "label: on the ticket" "$(sql "SELECT label FROM labels WHERE ticket_id = 1")" printer
is "label: recorded by alice" "$(sql "SELECT actor FROM events WHERE ticket_id = 1 AND detail LIKE '%label printer%'")" alice@example.com
is "label with a space refused" "$(act "$ALICE" "tok=$TOKA1&action=label&value=two+words")" 400
is "label: no mail" "$(mails_since "$last")" ""

is "note" "$(act "$ALICE" "tok=$TOKA1&action=note&text=Out+of+warranty%2C+zebra.")" 303
is "note: an internal note by alice" "$(sql "SELECT kind, from_addr, body FROM messages WHERE ticket_id = 1 ORDER BY id DESC LIMIT 1")" \
    "note|alice@example.com|Out of warranty, zebra."
is "note: no mail to anyone but the assignee" "$(mails_since "$last")" ""
http GET "$URL1" >/dev/null
ok "note: never on the customer's page" body_lacks 'zebra'

is "reply" "$(act "$ALICE" "tok=$TOKA1&action=reply&text=Please+open+tray+3.")" 303
is "reply: a staff message by alice" "$(sql "SELECT kind, from_addr, body FROM messages WHERE ticket_id = 1 ORDER BY id DESC LIMIT 1")" \
    "staff|alice@example.com|Please open tray 3."
is "reply: relayed to the customer" "$(mails_since "$last")" "staff_reply:jane@example.org "
is "reply: waiting for the customer" "$(sql "SELECT status FROM tickets WHERE id = 1")" waiting
ok "reply: the relayed text" test "$(mail_py staff_reply "print(text.splitlines()[0], m['From'])")" = "Please open tray 3. Alice Smith via Support <support@example.com>"
last=$(sql "SELECT max(id) FROM outbox")

res=$(cdp "auth|$ALICE" "size|1280|800" "goto|$STAFF?view=staff&ref=TKT-0001" \
    "select|form.act input[value=status] ~ label select|resolved" \
    "click|form.act input[value=status] ~ button" url \
    "eval|document.querySelector('.done').textContent")
is "status from the browser" "$res" "$STAFF?view=staff&ref=TKT-0001&done=status
\"Status set.\""
is "status: resolved by alice" "$(sql "SELECT t.status, e.actor FROM tickets t JOIN events e ON e.ticket_id = t.id WHERE t.id = 1 AND e.detail LIKE 'status: waiting -> resolved%'")" \
    "resolved|alice@example.com"
is "status: the customer told, as by mail" "$(mails_since "$last")" "ticket_resolved:jane@example.org "
is "actions by GET change nothing" "$(http GET "$STAFF?view=staff&ref=TKT-0001&tok=$TOKA1&action=priority&value=low" "" "$ALICE")|$(sql "SELECT priority FROM tickets WHERE id = 1")" "200|high"

# the unread mark comes back with the customer's next mail
sed -e 's/m1@example.org/m5@example.org/' -e 's/^Subject: .*/Subject: Re: [TKT-0001] Printer/' \
    -e 's/^The printer.*/Tray 3 was empty./' "$TMP/m1.eml" > "$TMP/m5.eml"
ok "deliver m5" deliver "$TMP/m5.eml"
http GET "$STAFF" "" "$ALICE" >/dev/null
ok "unread again for alice after the customer's mail" \
    grep -q '<li class="t unread"><a class="tl" href="[^"]*ref=TKT-0001">' "$TMP/body"
http GET "$STAFF?view=staff&ref=TKT-0001" "" "$ALICE" >/dev/null
http GET "$STAFF?view=staff" "" "$ALICE" >/dev/null
ok "and cleared once she opens it" sh -c "! grep -q 'class=\"t unread\"><a class=\"tl\" href=\"[^\"]*ref=TKT-0001\"' '$TMP/body'"
http GET "$STAFF?view=staff&mine=1" "" "$BOB" >/dev/null
ok "mine: bob's ticket listed" body_has 'class="ref">TKT-0001</span>'
ok "mine: only his" body_lacks 'class="ref">TKT-0003</span>'

# --- e) "my tickets": the lookup mails a signed link to the list --------
timers() {	# the daemon's timers once (they answer the lookup form)
	if [ "$(id -u)" = 0 ]; then
		chown -R nobody "$TMP"
		"$top_builddir/postdeskd" --once -u nobody -c "$POSTDESK_CONF" >"$TMP/once.out" 2>&1
	else
		"$top_builddir/postdeskd" --once -c "$POSTDESK_CONF" >"$TMP/once.out" 2>&1
	fi
}
res=$(cdp "size|390|844" "goto|$BASE/postdesk.cgi" "fill|input[name=email]|Jane@Example.org" \
    "click|form button[type=submit]" "eval|document.querySelector('p').textContent")
is "lookup from the browser: the one answer" "$res" \
    '"If the address has requests with us, we are sending it the link within a few minutes."'
is "lookup recorded, no mail yet" "$(sql "SELECT email FROM lookups")|$(sql "SELECT count(*) FROM outbox WHERE event = 'my_tickets'")" \
    "jane@example.org|0"
timers
is "my_tickets mail to jane" "$(sql "SELECT r.addr FROM outbox o JOIN outbox_rcpts r ON r.outbox_id = o.id WHERE o.event = 'my_tickets'")" \
    jane@example.org
LIST=$(mail_link my_tickets x 'postdesk\.cgi\?c=jane%40example\.org&l=[0-9]+\.[0-9a-f]+')
ok "the mail holds the list link" test -n "$LIST"
is "the list" "$(http GET "$BASE/$LIST")" 200
ok "list: TKT-0001 with its own link" body_has "href=\"?t=TKT-0001&amp;k=$KEY1\"><span class=\"ref\">TKT-0001</span>"
ok "list: TKT-0002 with its own link" body_has "href=\"?t=TKT-0002&amp;k=$K2\"><span class=\"ref\">TKT-0002</span>"
ok "list: status and last update" grep -q '<span class="b st-resolved">resolved</span> last update 20' "$TMP/body"
ok "list: not Carl's ticket" body_lacks 'TKT-0003'
ok "list: subject escaped" body_lacks '<script>'
shots my-tickets "$BASE/$LIST"
case $LIST in *0) BADLIST=${LIST%?}1 ;; *) BADLIST=${LIST%?}0 ;; esac
is "list with a changed key: the same 404" "$(http GET "$BASE/$BADLIST")" 404
cp "$TMP/body" "$TMP/b404"
http GET "$BASE/postdesk.cgi?t=TKT-9999&k=$KEY1" >/dev/null
ok "list 404 is the page's one 404" cmp -s "$TMP/body" "$TMP/b404"
is "list key for another address: 404" "$(http GET "$BASE/$(echo "$LIST" | sed 's/c=jane%40example.org/c=carl%40client.test/')")" 404
# the same work whether the address matches or not: one row each, timed
$PY - "$BASE" "$TMP/var/postdesk.db" > "$TMP/timing" <<'PYEOF'
import sqlite3, statistics, sys, time, urllib.request
base, db = sys.argv[1], sys.argv[2]
def post(email):
    t = time.perf_counter()
    r = urllib.request.urlopen(urllib.request.Request(base + "/postdesk.cgi",
        data=("action=lookup&email=" + email).encode(), method="POST"), timeout=30)
    body = r.read()
    return (time.perf_counter() - t) * 1000, r.status, body
res = {"match": [], "other": []}
bodies = set()
for i in range(100):	# alternated, so load changes hit both alike
    for kind, email in (("match", "jane%40example.org"), ("other", "nobody%d%%40example.net" % i)):
        ms, st, body = post(email)
        res[kind].append(ms)
        bodies.add((st, body))
rows = sqlite3.connect("file:%s?mode=ro" % db, uri=True).execute(
    "SELECT sum(email = 'jane@example.org'), sum(email != 'jane@example.org') FROM lookups").fetchone()
m, o = statistics.median(res["match"]), statistics.median(res["other"])
# how often a threshold at the midpoint of the medians tells them apart
cut = (m + o) / 2
right = sum(x > cut for x in res["match"]) + sum(x <= cut for x in res["other"]) if m > o else \
    sum(x <= cut for x in res["match"]) + sum(x > cut for x in res["other"])
print("answers %d" % len(bodies))
print("rows %d %d" % rows)
print("# lookup timing, 100 tries each: matching median %.2f ms (p10 %.2f, p90 %.2f), "
      "not matching median %.2f ms (p10 %.2f, p90 %.2f); a cut between the medians "
      "tells %d of 200 apart" % (m, statistics.quantiles(res["match"], n=10)[0],
      statistics.quantiles(res["match"], n=10)[-1], o, statistics.quantiles(res["other"], n=10)[0],
      statistics.quantiles(res["other"], n=10)[-1], right))
PYEOF
grep '^#' "$TMP/timing"
is "lookup: one answer, byte for byte, matching or not" "$(sed -n 1p "$TMP/timing")" "answers 1"
is "lookup: one row recorded for each of the 200" "$(sed -n 2p "$TMP/timing")" "rows 100 100"
timers
is "the daemon answered them all" "$(sql "SELECT count(*) FROM lookups")" 0
is "and sent jane no second list within ten minutes, strangers nothing" \
    "$(sql "SELECT count(*) FROM outbox WHERE event = 'my_tickets'")" 1
# what a visitor can make the database keep is bounded (limits.lookups_pending)
$PY - "$BASE" <<'PYEOF'
import sys, urllib.request
for i in range(260):
    urllib.request.urlopen(urllib.request.Request(sys.argv[1] + "/postdesk.cgi",
        data=("action=lookup&email=flood%d%%40example.net" % i).encode(), method="POST"), timeout=30).read()
PYEOF
is "at most lookups_pending (250) requests kept" "$(sql "SELECT count(*) FROM lookups")" 250
is "the ten more logged as not recorded" "$(grep -c 'lookup: 250 requests already wait for the daemon; this one was not recorded' "$TMP/lighttpd.stderr")" 10
timers

# layout: side by side on a desktop, stacked on a phone, never wider
res=$(cdp "auth|$ALICE" "size|1280|800" "goto|$STAFF?view=staff&ref=TKT-0001" \
    "eval|document.querySelector('.side').getBoundingClientRect().right <= document.querySelector('main.ticket').getBoundingClientRect().left" \
    "size|390|844" "goto|$STAFF?view=staff&ref=TKT-0001" \
    "eval|document.querySelector('.side').getBoundingClientRect().top >= document.querySelector('main.ticket').getBoundingClientRect().bottom" \
    "size|360|740" "goto|$STAFF" fits "goto|$STAFF?view=staff&ref=TKT-0001" fits)
is "list beside the ticket at 1280, below it at 390, no sideways scroll at 360" "$res" "true
true
360 360
360 360"
shots staff-list "$STAFF" "$ALICE"
shots staff-ticket "$STAFF?view=staff&ref=TKT-0001" "$ALICE"
shots staff-held "$STAFF?view=staff&ref=TKT-0003" "$ALICE"
shots customer "$URL1"
shots lookup "$BASE/postdesk.cgi"
shots not-found "$BASE/postdesk.cgi?t=TKT-9999&k=$KEY1"
for size in 390x844 1280x800; do	# the lookup's answer is a POST's page
	w=${size%x*} h=${size#*x}
	fit=$(cdp "size|$w|$h" "goto|$BASE/postdesk.cgi" "fill|input[name=email]|jane@example.org" \
	    "click|form button[type=submit]" fits "shot|$ARTEFACTS/lookup-sent-$size.png")
	is "lookup-sent at $size: no wider than the viewport" "$fit" "$w $w"
	ok "lookup-sent at $size: screenshot kept" test -s "$ARTEFACTS/lookup-sent-$size.png"
	echo "# artefact: $ARTEFACTS/lookup-sent-$size.png"
done
is "the stylesheet allowed by its CSP hash applies (badges are round)" \
    "$(cdp "auth|$ALICE" "goto|$STAFF" "eval|getComputedStyle(document.querySelector('.b')).borderTopLeftRadius !== '0px' && getComputedStyle(document.body).fontFamily")" \
    '"sans-serif"'
ok "injected script never ran on the staff pages" \
    test "$(cdp "auth|$ALICE" "goto|$STAFF" "eval|typeof window.pwned" "goto|$STAFF?view=staff&ref=TKT-0001" "eval|typeof window.pwned")" = '"undefined"
"undefined"'

kill -- -"$CHROME_PID" 2>/dev/null
kill "$HTTPD_PID"; wait "$HTTPD_PID" 2>/dev/null
ok "cgi wrote no errors (only its mail log lines)" \
    sh -c "! grep 'postdesk.cgi' '$TMP/lighttpd.stderr' | grep -v ' via web: ' | grep -v ': command #[a-z]*.* by [a-z]*@example.com on TKT-000[0-9]: applied, [0-9] mails* queued$' | grep -qv 'lookup: 250 requests already wait'"
ok "the web actions are logged as commands, by the agent" \
    grep -q '^postdesk.cgi: command #priority high by alice@example.com on TKT-0001: applied, 0 mails queued$' "$TMP/lighttpd.stderr"
finish
