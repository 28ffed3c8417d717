#!/bin/bash
# t_cgi.sh: postdesk.cgi (SPEC 8) behind a real web server (Debian's
# lighttpd with mod_cgi and mod_auth): the customer's signed link, 404s
# that give nothing away, escaping, the lookup form, Close, the staff
# view with its login; then headless Chromium renders the page.
. "$(dirname "$0")/lib.sh"

CGI="$top_builddir/postdesk.cgi"
LIGHTTPD=/usr/sbin/lighttpd
[ -x "$PD" ] || { echo "# $PD not built"; exit 99; }
[ -x "$CGI" ] || { echo "# $CGI not built"; exit 99; }
[ -x "$LIGHTTPD" ] || { echo "# $LIGHTTPD missing (apt-get install lighttpd)"; exit 99; }

export POSTDESK_NOW=2026-11-21T10:00:00Z
write_config

deliver() {	# deliver FILE
	"$PD" deliver < "$1" > "$TMP/deliver.out" 2> "$TMP/deliver.err"
}
cat > "$TMP/m1.eml" <<'EOF'
From: Jane Customer <jane@example.org>
To: support@example.com
Subject: Printer <script>alert(1)</script> jammed
Message-ID: <m1@example.org>
Date: Sat, 21 Nov 2026 09:00:00 +0000

The printer on floor two makes a grinding noise.
EOF
cat > "$TMP/m2.eml" <<'EOF'
From: Bob Other <bob@customer.test>
To: support@example.com
Subject: Invoice question
Message-ID: <m2@customer.test>
Date: Sat, 21 Nov 2026 09:05:00 +0000
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain; charset=utf-8

Why was I charged twice for the flamingo subscription?
--b1
Content-Type: text/plain; name="bill <2>.txt"
Content-Disposition: attachment; filename="bill <2>.txt"

Invoice 77: 2 x 9.99 EUR
--b1--
EOF
cat > "$TMP/r1.eml" <<'EOF'
Authentication-Results: mx.example.com; dkim=pass header.d=example.com
Received: from mail.example.com (mail.example.com [192.0.2.25]) by mx.example.com (Postfix) with ESMTPS id 1
From: Alice Smith <alice@example.com>
To: support@example.com
Subject: Re: [TKT-0001] Printer jammed
Message-ID: <r1@example.com>
In-Reply-To: <m1@example.org>
Date: Sat, 21 Nov 2026 09:30:00 +0000

Please open tray three and pull out the crumpled sheet.
EOF
cat > "$TMP/n1.eml" <<'EOF'
Authentication-Results: mx.example.com; dkim=pass header.d=example.com
Received: from mail.example.com (mail.example.com [192.0.2.25]) by mx.example.com (Postfix) with ESMTPS id 1
From: Alice Smith <alice@example.com>
To: support@example.com
Subject: Re: [TKT-0001] Printer jammed
Message-ID: <n1@example.com>
Date: Sat, 21 Nov 2026 09:40:00 +0000

#note
Internal: this printer is out of warranty, zebra.
EOF
for m in m1 m2 r1 n1; do
	ok "deliver $m" deliver "$TMP/$m.eml"
done
is "tickets" "$(sql "SELECT ref FROM tickets ORDER BY id" | tr '\n' ' ')" "TKT-0001 TKT-0002 "
is "kinds on TKT-0001" "$(sql "SELECT kind FROM messages WHERE ticket_id = 1 ORDER BY id" | tr '\n' ' ')" \
    "customer staff note "

# The web server: customer page at /postdesk.cgi, staff at /staff/postdesk.cgi.
PORT=$(free_port)
mkdir -p "$TMP/www/staff"
ln -s "$(cd "$(dirname "$CGI")" && pwd)/postdesk.cgi" "$TMP/www/postdesk.cgi"
ln -s "$(cd "$(dirname "$CGI")" && pwd)/postdesk.cgi" "$TMP/www/staff/postdesk.cgi"
printf 'alice@example.com:wonderland\nmallory@example.net:sneaky\nbob@example.com:builder\n' > "$TMP/htpasswd"
cat > "$TMP/lighttpd.conf" <<EOF
server.modules = ( "mod_auth", "mod_authn_file", "mod_cgi", "mod_setenv" )
server.document-root = "$TMP/www"
server.bind = "127.0.0.1"
server.port = $PORT
server.errorlog = "$TMP/lighttpd.err"
server.pid-file = "$TMP/lighttpd.pid"
server.follow-symlink = "enable"
cgi.assign = ( ".cgi" => "" )
setenv.add-environment = ( "POSTDESK_CONF" => "$POSTDESK_CONF",
                           "POSTDESK_NOW" => "$POSTDESK_NOW" )
auth.backend = "plain"
auth.backend.plain.userfile = "$TMP/htpasswd"
auth.require = ( "/staff/" => ( "method" => "basic", "realm" => "postdesk staff",
                                "require" => "valid-user" ) )
EOF
# mod_setenv is built into newer lighttpd; drop it from the list if refused.
if ! "$LIGHTTPD" -tt -f "$TMP/lighttpd.conf" >/dev/null 2>&1; then
	sed -i 's/, "mod_setenv"//' "$TMP/lighttpd.conf"
fi
"$LIGHTTPD" -D -f "$TMP/lighttpd.conf" 2>"$TMP/lighttpd.stderr" &
HTTPD_PID=$!
T_PIDS="$T_PIDS $HTTPD_PID"
for _ in $(seq 1 100); do
	$PY -c "import socket; socket.create_connection(('127.0.0.1',$PORT),1)" 2>/dev/null && break
	sleep 0.1
done
BASE="http://127.0.0.1:$PORT"

# http METHOD PATH [FORM] [USER:PASS]: prints the status; body in
# $TMP/body, headers in $TMP/headers; redirects are not followed.
http() {
	$PY - "$@" "$TMP" <<'PYEOF'
import base64, sys, urllib.request, urllib.error
args = sys.argv[1:]
tmp = args.pop()
method, url = args[0], args[1]
data = args[2].encode() if len(args) > 2 and args[2] else None
class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None
req = urllib.request.Request(url, data=data, method=method)
if data is not None:
    req.add_header("Content-Type", "application/x-www-form-urlencoded")
if len(args) > 3:
    req.add_header("Authorization", "Basic " + base64.b64encode(args[3].encode()).decode())
opener = urllib.request.build_opener(NoRedirect)
try:
    r = opener.open(req, timeout=20)
    code, body, hdrs = r.status, r.read(), r.headers
except urllib.error.HTTPError as e:
    code, body, hdrs = e.code, e.read(), e.headers
open(tmp + "/body", "wb").write(body)
open(tmp + "/headers", "w").write(str(hdrs))
print(code)
PYEOF
}
body_has() { grep -qF -- "$1" "$TMP/body"; }
body_lacks() { ! grep -qF -- "$1" "$TMP/body"; }
header() { sed -n "s/^$1: //Ip" "$TMP/headers" | tr -d '\r'; }

# The status link inside a queued mail (decoded): link_of EVENT REF
link_of() {
	$PY - "$TMP/var/postdesk.db" "$1" "$2" "$PD" <<'PYEOF'
import email, email.policy, re, sqlite3, subprocess, sys
db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
for (oid,) in db.execute("SELECT id FROM outbox WHERE event = ? ORDER BY id", (sys.argv[2],)):
    # the mail as it is sent: rendered by `postdesk outbox show`
    raw = subprocess.run([sys.argv[4], "outbox", "show", str(oid)], check=True,
                         stdout=subprocess.PIPE).stdout
    m = email.message_from_bytes(raw, policy=email.policy.default)
    text = m.get_body(preferencelist=("plain",)).get_content()
    hit = re.search(r"postdesk\.cgi\?t=%s&k=[0-9a-f]+" % re.escape(sys.argv[3]), text)
    if hit:
        print(hit.group(0))
        break
PYEOF
}
# The signed link, as the mail to the customer carries it.
LINK=$(link_of ticket_created TKT-0001)
ok "the mail carries the signed link" test -n "$LINK"
KEY1=${LINK##*&k=}

is "customer page" "$(http GET "$BASE/$LINK")" 200
ok "shows the subject escaped" body_has 'Printer &lt;script&gt;alert(1)&lt;/script&gt; jammed'
ok "no raw script" body_lacks '<script>'
ok "shows the staff reply" body_has 'pull out the crumpled sheet'
ok "staff shown by name and queue" body_has 'Alice Smith (Support)'
ok "never the staff address" body_lacks 'alice@example.com'
ok "never the note" body_lacks 'zebra'
ok "shows the status" body_has '<td>waiting</td>'
ok "has a Close button" body_has 'value="close"'
CSP=$(header Content-Security-Policy)
is "CSP header" "$(echo "$CSP" | sed "s/'sha256-[A-Za-z0-9+\/=]*'/HASH/")" \
    "default-src 'none'; style-src HASH; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
is "CSP: the hash is the page's one stylesheet" "$(echo "$CSP" | sed -n "s/.*'sha256-\([A-Za-z0-9+\/=]*\)'.*/\1/p")" \
    "$(sed -n 's/.*<style>\(.*\)<\/style>.*/\1/p' "$TMP/body" | tr -d '\n' | openssl dgst -sha256 -binary | base64)"
is "nosniff" "$(header X-Content-Type-Options)" "nosniff"
ok "viewport meta" body_has '<meta name="viewport"'

is "unknown ticket" "$(http GET "$BASE/postdesk.cgi?t=TKT-9999&k=$KEY1")" 404
cp "$TMP/body" "$TMP/body404"
is "wrong key" "$(http GET "$BASE/postdesk.cgi?t=TKT-0001&k=0000000000")" 404
ok "wrong key body equals unknown ticket body" cmp -s "$TMP/body" "$TMP/body404"
is "missing key" "$(http GET "$BASE/postdesk.cgi?t=TKT-0001")" 404
ok "missing key body equals unknown ticket body" cmp -s "$TMP/body" "$TMP/body404"
is "key of another ticket" "$(http GET "$BASE/postdesk.cgi?t=TKT-0002&k=$KEY1")" 404
is "not UTF-8" "$(http GET "$BASE/postdesk.cgi?t=%ff")" 400
is "PUT" "$(http PUT "$BASE/postdesk.cgi" "x=1")" 405
big=$($PY -c 'print("a=" + "x" * 70000)')
is "oversized POST" "$(http POST "$BASE/postdesk.cgi" "$big")" 413
is "bad attachment" "$(http GET "$BASE/$LINK&a=deadbeef")" 404

# The lookup form: the page records the request alike for any address;
# the daemon's timers (here postdeskd --once) send the links.
timers() {
	if [ "$(id -u)" = 0 ]; then
		chown -R nobody "$TMP"
		"$top_builddir/postdeskd" --once -u nobody -c "$POSTDESK_CONF" >"$TMP/once.out" 2>&1
	else
		"$top_builddir/postdeskd" --once -c "$POSTDESK_CONF" >"$TMP/once.out" 2>&1
	fi
}
is "lookup form" "$(http GET "$BASE/postdesk.cgi")" 200
ok "lookup form has fields" body_has 'name="email"'
before=$(sql "SELECT count(*) FROM outbox WHERE event IN ('status_link', 'my_tickets')")
is "no status_link yet" "$before" 0
is "lookup wrong email" "$(http POST "$BASE/postdesk.cgi" \
    "action=lookup&email=mallory%40example.net&ref=TKT-0001")" 200
cp "$TMP/body" "$TMP/body_lookup"
ok "same answer" body_has 'If the address has requests with us, we are sending it the link'
is "lookup unknown ref" "$(http POST "$BASE/postdesk.cgi" \
    "action=lookup&email=jane%40example.org&ref=TKT-4242")" 200
ok "unknown ref: same body" cmp -s "$TMP/body" "$TMP/body_lookup"
is "every request recorded alike" "$(sql "SELECT email, ref FROM lookups ORDER BY id" | tr '\n' ' ')" \
    "mallory@example.net|TKT-0001 jane@example.org|TKT-4242 "
is "the page queued no mail" "$(sql "SELECT count(*) FROM outbox WHERE event IN ('status_link', 'my_tickets')")" 0
timers
is "the daemon answered both" "$(sql "SELECT count(*) FROM lookups")" 0
is "wrong email: nothing; unknown ref: only the list" \
    "$(sql "SELECT o.event, r.addr FROM outbox o JOIN outbox_rcpts r ON r.outbox_id = o.id WHERE o.event IN ('status_link', 'my_tickets')")" \
    "my_tickets|jane@example.org"
is "lookup right email" "$(http POST "$BASE/postdesk.cgi" \
    "action=lookup&email=Jane%40Example.ORG&ref=tkt-0001")" 200
ok "right email: same body" cmp -s "$TMP/body" "$TMP/body_lookup"
timers
is "one status_link mail" "$(sql "SELECT count(*) FROM outbox WHERE event = 'status_link'")" 1
is "to the customer" "$(sql "SELECT r.addr FROM outbox o JOIN outbox_rcpts r ON r.outbox_id = o.id WHERE o.event = 'status_link'")" \
    "jane@example.org"
is "the mail holds the link" "$(link_of status_link TKT-0001)" "$LINK"
is "no second list within ten minutes" "$(sql "SELECT count(*) FROM outbox WHERE event = 'my_tickets'")" 1

# Close.
is "close" "$(http POST "$BASE/postdesk.cgi" "t=TKT-0001&k=$KEY1&action=close")" 303
is "redirect back" "$(header Location)" "postdesk.cgi?t=TKT-0001&k=$KEY1&done=closed"
is "status closed" "$(sql "SELECT status, closed_at > 0 FROM tickets WHERE ref = 'TKT-0001'")" "closed|1"
is "close event by the customer" \
    "$(sql "SELECT actor FROM events WHERE ticket_id = 1 AND detail LIKE '%status page%'")" customer
is "close with a wrong key" "$(http POST "$BASE/postdesk.cgi" "t=TKT-0002&k=$KEY1&action=close")" 404
is "TKT-0002 still open" "$(sql "SELECT status FROM tickets WHERE ref = 'TKT-0002'")" open

# Staff view.
is "staff list" "$(http GET "$BASE/staff/postdesk.cgi?view=staff" "" alice@example.com:wonderland)" 200
ok "lists TKT-0001" body_has 'class="ref">TKT-0001</span>'
ok "lists TKT-0002" body_has 'class="ref">TKT-0002</span>'
ok "counts open" body_has 'open (1)'
ok "counts closed" body_has 'closed (1)'
is "staff view at the page's plain URL" "$(http GET "$BASE/staff/postdesk.cgi" "" alice@example.com:wonderland)" 200
ok "plain URL: the staff list" body_has 'class="ref">TKT-0002</span>'
is "plain URL, a logged-in non-staff user: the lookup form" \
	"$(http GET "$BASE/staff/postdesk.cgi" "" mallory@example.net:sneaky)" 200
ok "plain URL, non-staff: no ticket listed" body_lacks 'class="ref">TKT-0001</span>'
is "staff search" "$(http GET "$BASE/staff/postdesk.cgi?view=staff&q=flamingo" "" alice@example.com:wonderland)" 200
ok "search finds TKT-0002" body_has 'class="ref">TKT-0002</span>'
ok "search leaves out TKT-0001" body_lacks 'class="ref">TKT-0001</span>'
is "filter by priority" "$(http GET "$BASE/staff/postdesk.cgi?view=staff&priority=urgent" "" alice@example.com:wonderland)" 200
ok "no urgent tickets" body_has 'No tickets.'
is "staff ticket" "$(http GET "$BASE/staff/postdesk.cgi?view=staff&ref=TKT-0001" "" alice@example.com:wonderland)" 200
ok "ticket page shows the note" body_has 'this printer is out of warranty, zebra.'
ok "ticket page escapes the subject" body_lacks '<script>'
is "non-staff user" "$(http GET "$BASE/staff/postdesk.cgi?view=staff" "" mallory@example.net:sneaky)" 403
is "no login" "$(http GET "$BASE/staff/postdesk.cgi?view=staff")" 401
is "staff view without the server's login" "$(http GET "$BASE/postdesk.cgi?view=staff")" 403

# An attachment of a public message, and CSAT once resolved.
LINK2=$(link_of ticket_created TKT-0002)
K2=${LINK2##*&k=}
SHA=$(sql "SELECT a.sha256 FROM attachments a JOIN messages m ON m.id = a.message_id WHERE m.ticket_id = 2")
ok "attachment stored" test -n "$SHA"
is "page lists the attachment" "$(http GET "$BASE/$LINK2")" 200
ok "attachment name escaped" body_has '>bill &lt;2&gt;.txt</a>'
ok "no CSAT form before resolved" body_lacks 'name="rating"'
is "download" "$(http GET "$BASE/$LINK2&a=$SHA")" 200
is "download type" "$(header Content-Type)" "text/plain"
is "download disposition" "$(header Content-Disposition)" \
    "attachment; filename=\"bill <2>.txt\"; filename*=UTF-8''bill%20%3C2%3E.txt"
is "download bytes" "$(cat "$TMP/body")" "Invoice 77: 2 x 9.99 EUR"
is "attachment of another ticket" "$(http GET "$BASE/$LINK&a=$SHA")" 404
is "rating before resolved" "$(http POST "$BASE/postdesk.cgi" "t=TKT-0002&k=$K2&action=rate&rating=4")" 409
"$PD" set TKT-0002 status=resolved >/dev/null 2>&1
is "resolved by staff" "$(sql "SELECT status FROM tickets WHERE id = 2")" resolved
is "CSAT form once resolved" "$(http GET "$BASE/$LINK2")" 200
ok "rating field" body_has 'name="rating"'
is "rating 6 refused" "$(http POST "$BASE/postdesk.cgi" "t=TKT-0002&k=$K2&action=rate&rating=6")" 400
long=$($PY -c 'print("x" * 2001)')
is "comment too long" "$(http POST "$BASE/postdesk.cgi" "t=TKT-0002&k=$K2&action=rate&rating=4&comment=$long")" 400
is "rating" "$(http POST "$BASE/postdesk.cgi" "t=TKT-0002&k=$K2&action=rate&rating=4&comment=Quick+%26+kind")" 303
is "csat stored" "$(sql "SELECT csat_rating, csat_comment FROM tickets WHERE id = 2")" "4|Quick & kind"
is "csat event" "$(sql "SELECT actor, detail FROM events WHERE ticket_id = 2 AND kind = 'csat'")" "customer|rating 4"

# Headless Chromium, when installed.
CHROME=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROME" ]; then
	echo "# skipped: chromium is not installed (apt-get install chromium)"
else
	CFLAGS_CHROME="--headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run
	    --disable-background-networking --disable-component-update --disable-sync
	    --user-data-dir=$TMP/chrome"
	timeout 60 "$CHROME" $CFLAGS_CHROME --dump-dom "$BASE/$LINK2" > "$TMP/dom.html" 2>"$TMP/chrome.err"
	ok "chromium DOM has the subject" grep -qF '<h1>Invoice question</h1>' "$TMP/dom.html"
	ok "chromium DOM has the status" grep -qF '<td>resolved</td>' "$TMP/dom.html"
	timeout 60 "$CHROME" $CFLAGS_CHROME --window-size=390,844 \
	    --screenshot="$TMP/page.png" "$BASE/$LINK2" >/dev/null 2>>"$TMP/chrome.err"
	ok "phone screenshot over 5 KB" test "$(stat -c %s "$TMP/page.png" 2>/dev/null || echo 0)" -gt 5120
	[ -n "${T_KEEP_PNG:-}" ] && cp "$TMP/page.png" "$T_KEEP_PNG"
fi

# The "mine (N)" tab at more tickets than a page: every ticket assigned to
# the agent (in any case) that is not closed, exactly (issue 12: counted
# from an index, no longer from the newest 1000 assigned tickets).
$PY - "$TMP/var/postdesk.db" <<'PYEOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN")
rows = []
for i in range(1, 1201):	# alice: 1200, a quarter of them closed
    rows.append(("alice@example.com", ("open", "closed", "resolved", "waiting")[i % 4]))
rows += [("ALICE@Example.COM", "in_progress")] * 5 + [("bob@example.com", "open")] * 7
for n, (who, st) in enumerate(rows):
    db.execute("INSERT INTO tickets (ref, subject, status, queue, assignee, customer_id, "
               "created_at, updated_at) VALUES (?, 'Load', ?, 'Support', ?, 1, ?, ?)",
               ("LOAD-%05d" % n, st, who, 1700000000 + n, 1700000000 + n))
db.execute("COMMIT")
PYEOF
is "staff list at 1212 more tickets" "$(http GET "$BASE/staff/postdesk.cgi?view=staff" "" alice@example.com:wonderland)" 200
ok "mine: alice's 905 tickets not closed (900 + 5 in another case)" body_has '>mine (905)</a>'
is "bob's list" "$(http GET "$BASE/staff/postdesk.cgi?view=staff" "" bob@example.com:builder)" 200
ok "mine: bob's 7" body_has '>mine (7)</a>'

# A search lists the tickets of the newest 1000 matching messages and
# says how many matched, or that more did.  The oldest match of each word
# is on TKT-0002, the most recently updated ticket: listed first when
# every match counts.  quokka: 1001 messages, wombat: 1000.
$PY - "$TMP/var/postdesk.db" <<'PYEOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN")
ids = [r[0] for r in db.execute("SELECT id FROM tickets WHERE ref LIKE 'LOAD-%' ORDER BY id")]
msgs = [(2, "quokka"), (2, "wombat")] + [(t, "quokka") for t in ids[:1000]] + \
       [(t, "wombat") for t in ids[:999]]
for t, word in msgs:
    db.execute("INSERT INTO messages (ticket_id, kind, from_addr, date, subject, body) "
               "VALUES (?, 'customer', 'load@example.net', 1700000000, 'Load', ?)",
               (t, "a %s in the office" % word))
db.execute("INSERT INTO messages_fts (messages_fts) VALUES ('rebuild')")
db.execute("COMMIT")
PYEOF
is "search: 1001 matches" "$(http GET "$BASE/staff/postdesk.cgi?view=staff&q=quokka" "" alice@example.com:wonderland)" 200
ok "search: more than 1000 said" body_has '<p class="found">More than 1000 messages match: the list holds the tickets of the newest 1000.'
is "search: the newest match's ticket first" "$(grep -o 'class="ref">[^<]*' "$TMP/body" | head -1)" 'class="ref">LOAD-00999'
ok "search: the oldest match left out" body_lacks 'class="ref">TKT-0002</span>'
is "search: 1000 matches" "$(http GET "$BASE/staff/postdesk.cgi?view=staff&q=wombat" "" alice@example.com:wonderland)" 200
ok "search: exactly 1000 said" body_has '<p class="found">1000 messages match.</p>'
ok "search: all of them listed, the oldest match too" body_has 'class="ref">TKT-0002</span>'
is "search: one match" "$(http GET "$BASE/staff/postdesk.cgi?view=staff&q=flamingo" "" alice@example.com:wonderland)" 200
ok "search: 1 message" body_has '<p class="found">1 message matches.</p>'
is "search of blanks: the whole list" "$(http GET "$BASE/staff/postdesk.cgi?view=staff&q=+" "" alice@example.com:wonderland)" 200
ok "search of blanks: no count" body_lacks '<p class="found">'

kill "$HTTPD_PID"; wait "$HTTPD_PID" 2>/dev/null
ok "cgi wrote no errors" sh -c "! grep -q 'postdesk.cgi' '$TMP/lighttpd.err' '$TMP/lighttpd.stderr'"
finish
