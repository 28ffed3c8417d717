#!/bin/bash
# t_visible.sh: the new text of a customer's reply (issue 10) through the
# whole desk: stored beside the full text, in `show --json` (text and
# visible_text, SPEC 9), in the staff notification that a real SMTP
# server receives (the new text, the whole mail below a marker), and on
# the status page behind lighttpd (a <details> toggle, no JavaScript).
. "$(dirname "$0")/lib.sh"

CGI="$top_builddir/postdesk.cgi"
LIGHTTPD=/usr/sbin/lighttpd
[ -x "$PD" ] || { echo "# $PD not built"; exit 99; }
[ -x "$CGI" ] || { echo "# $CGI not built"; exit 99; }
[ -x "$LIGHTTPD" ] || { echo "# $LIGHTTPD missing (apt-get install lighttpd)"; exit 99; }

export POSTDESK_NOW=2026-11-21T10:00:00Z
start_smtp || exit 1
write_config

deliver() {	# deliver FILE
	"$PD" deliver < "$1" > "$TMP/deliver.out" 2> "$TMP/deliver.err"
}
# json_get EXPR: print EXPR of the JSON document in $TMP/show.json
json_get() {
	$PY -c 'import json,sys
d = json.load(open(sys.argv[1]))
print(eval(sys.argv[2]), end="")' "$TMP/show.json" "$1"
}

cat > "$TMP/m1.eml" <<'EOF'
From: Jane Customer <jane@example.org>
To: support@example.com
Subject: Printer jammed
Message-ID: <m1@example.org>
Date: Sat, 21 Nov 2026 09:00:00 +0000

The printer on floor two makes a grinding noise.
EOF
cat > "$TMP/m2.eml" <<'EOF'
From: Jane Customer <jane@example.org>
To: support@example.com
Subject: Re: [TKT-0001] Printer jammed
Message-ID: <m2@example.org>
In-Reply-To: <m1@example.org>
Date: Sat, 21 Nov 2026 09:40:00 +0000
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Danke, es geht wieder <b>!</b>

Viele Grüße
Jane

Am 21.11.2026 um 09:30 schrieb Alice Smith via Support <support@example.com>:

> Please open tray three and pull out the crumpled sheet.
> Alice
EOF
cat > "$TMP/m3.eml" <<'EOF'
From: Jane Customer <jane@example.org>
To: support@example.com
Subject: Re: [TKT-0001] Printer jammed
Message-ID: <m3@example.org>
Date: Sat, 21 Nov 2026 09:50:00 +0000

On Sat, Nov 21, 2026 at 9:30 AM Support <support@example.com> wrote:
> Please open tray three.
EOF
cat > "$TMP/m4.eml" <<'EOF'
From: Jane Customer <jane@example.org>
To: support@example.com
Subject: Fwd: Delivery of the new printer
Message-ID: <m4@example.org>
Date: Sat, 21 Nov 2026 09:55:00 +0000

See below, they say it is late.

From: Shop <orders@shop.example>
Sent: Friday, November 20, 2026 4:00 PM
To: Jane Customer
Subject: Delivery of the new printer

Your printer ships next week.
EOF
for f in m1 m2 m3 m4; do
	deliver "$TMP/$f.eml"
	ok "deliver $f" [ $? = 0 ]
done
m2_full=$(printf 'Danke, es geht wieder <b>!</b>\n\nViele Grüße\nJane\n\nAm 21.11.2026 um 09:30 schrieb Alice Smith via Support <support@example.com>:\n\n> Please open tray three and pull out the crumpled sheet.\n> Alice')
m3_full=$(printf 'On Sat, Nov 21, 2026 at 9:30 AM Support <support@example.com> wrote:\n> Please open tray three.')

# --- stored: the full text kept, the new text beside it ------------------
is "m2: body is the full text" "$(sql "SELECT body FROM messages WHERE message_id = 'm2@example.org'")" "$m2_full"
is "m2: the visible text is the new text (message_texts)" \
    "$(sql "SELECT t.visible FROM message_texts t JOIN messages m ON m.id = t.id WHERE m.message_id = 'm2@example.org'")" \
    'Danke, es geht wieder <b>!</b>'
# sql/013: the new text is the body's start, so only its length is kept
is "m2: the new text not kept twice, its length in bytes instead" \
    "$(sql "SELECT visible_text IS NULL, visible_len FROM messages WHERE message_id = 'm2@example.org'")" \
    "1|$(printf '%s' 'Danke, es geht wieder <b>!</b>' | wc -c)"
is "m1 (nothing quoted): no second copy" \
    "$(sql "SELECT visible_text IS NULL FROM messages WHERE message_id = 'm1@example.org'")" 1
is "m3 (only a quote): nothing new, the full text is all there is" \
    "$(sql "SELECT visible_text IS NULL FROM messages WHERE message_id = 'm3@example.org'")" 1
is "m4 (a forward): kept whole" \
    "$(sql "SELECT visible_text IS NULL AND visible_len IS NULL, ticket_id FROM messages WHERE message_id = 'm4@example.org'")" "1|2"
is "schema at migration 006 or later" "$(sql "SELECT count(*) FROM pragma_table_info('messages') WHERE name = 'visible_text'")" 1

# --- show --json: text stays the full text, visible_text is new ----------
"$PD" show --json TKT-0001 > "$TMP/show.json" 2> "$TMP/show.err"
ok "show --json exits 0" [ $? = 0 ]
is "json: three messages" "$(json_get 'len(d["messages"])')" 3
is "json: m2 text" "$(json_get 'd["messages"][1]["text"]')" "$m2_full"
is "json: m2 visible_text" "$(json_get 'd["messages"][1]["visible_text"]')" 'Danke, es geht wieder <b>!</b>'
is "json: m1 visible_text equals its text" "$(json_get 'd["messages"][0]["visible_text"] == d["messages"][0]["text"]')" True
is "json: m3 visible_text is its full text" "$(json_get 'd["messages"][2]["visible_text"]')" "$m3_full"
"$PD" show TKT-0001 > "$TMP/show.txt" 2>&1
ok "show: the new text, then the marker, then the whole mail" $PY - "$TMP/show.txt" <<'PYEOF'
import sys
t = open(sys.argv[1], encoding="utf-8").read()
i = t.index("Danke, es geht wieder <b>!</b>")
j = t.index("-------- The whole message, with the text it quotes --------", i)
k = t.index("> Please open tray three and pull out", j)
sys.exit(0)
PYEOF

# --- the staff notification: new text first, the whole mail below -------
"$PD" outbox flush > /dev/null 2>&1
ok "outbox flushed to the SMTP server" [ "$(sql "SELECT count(*) FROM outbox WHERE status != 'sent'")" = 0 ]
notice=""
for i in $(seq 1 "$(smtp_count)"); do
	if smtp_body "$i" | grep -q 'Danke, es geht wieder' && smtp_rcpts "$i" | grep -q alice@example.com; then
		notice=$i
	fi
done
ok "staff got a notification of m2" [ -n "$notice" ]
smtp_body "${notice:-1}" > "$TMP/notice.txt"
ok "notification: the new text, the marker, then the quote" $PY - "$TMP/notice.txt" <<'PYEOF'
import sys
t = open(sys.argv[1], encoding="utf-8").read()
new = t.index("Danke, es geht wieder <b>!</b>\n")
mark = t.index("\n-------- The whole message, with the text it quotes --------\n")
full = t.index("Danke, es geht wieder <b>!</b>\n\nViele Grüße\nJane\n\nAm 21.11.2026 um 09:30 schrieb", mark)
q = t.index("> Please open tray three and pull out the crumpled sheet.", full)
sys.exit(0 if new < mark < full < q and t.count("Please open tray three") == 1 else 1)
PYEOF

# --- the status page: new text shown, the quote behind <details> --------
PORT=$(free_port)
mkdir -p "$TMP/www"
ln -s "$(cd "$(dirname "$CGI")" && pwd)/postdesk.cgi" "$TMP/www/postdesk.cgi"
cat > "$TMP/lighttpd.conf" <<EOF
server.modules = ( "mod_cgi", "mod_setenv" )
server.document-root = "$TMP/www"
server.bind = "127.0.0.1"
server.port = $PORT
server.errorlog = "$TMP/lighttpd.err"
server.follow-symlink = "enable"
cgi.assign = ( ".cgi" => "" )
setenv.add-environment = ( "POSTDESK_CONF" => "$POSTDESK_CONF",
                           "POSTDESK_NOW" => "$POSTDESK_NOW" )
EOF
if ! "$LIGHTTPD" -tt -f "$TMP/lighttpd.conf" >/dev/null 2>&1; then
	sed -i 's/, "mod_setenv"//' "$TMP/lighttpd.conf"
fi
"$LIGHTTPD" -D -f "$TMP/lighttpd.conf" 2>"$TMP/lighttpd.stderr" &
T_PIDS="$T_PIDS $!"
for _ in $(seq 1 100); do
	$PY -c "import socket; socket.create_connection(('127.0.0.1',$PORT),1)" 2>/dev/null && break
	sleep 0.1
done
link=$(sed -n 's/^Status page: *//p' "$TMP/show.txt" | head -1)
query=${link#*\?}
ok "status link known" [ -n "$query" ]
$PY - "http://127.0.0.1:$PORT/postdesk.cgi?$query" "$TMP/page.html" <<'PYEOF' > "$TMP/status"
import sys, urllib.request
r = urllib.request.urlopen(sys.argv[1], timeout=20)
open(sys.argv[2], "wb").write(r.read())
print(r.status)
PYEOF
is "status page: 200" "$(cat "$TMP/status")" 200
ok "status page: m2's new text escaped, outside any <details>" $PY - "$TMP/page.html" <<'PYEOF'
import sys
p = open(sys.argv[1], encoding="utf-8").read()
vis = "<pre>Danke, es geht wieder &lt;b&gt;!&lt;/b&gt;</pre>\n<details><summary>show quoted text</summary><pre>Danke, es geht wieder &lt;b&gt;!&lt;/b&gt;\n\nViele Grüße\nJane\n\nAm 21.11.2026 um 09:30 schrieb Alice Smith via Support &lt;support@example.com&gt;:\n\n&gt; Please open tray three and pull out the crumpled sheet.\n&gt; Alice</pre></details>"
sys.exit(0 if vis in p else 1)
PYEOF
is "status page: one toggle (m2 only), no script" \
    "$(grep -o '<details>' "$TMP/page.html" | wc -l) $(grep -ci '<script' "$TMP/page.html")" "1 0"
is "status page: the quote appears only inside the toggle" \
    "$(grep -o 'Please open tray three and pull out' "$TMP/page.html" | wc -l)" 1
finish
