#!/bin/bash
# t_cli.sh: the postdesk command end to end (SPEC 9): init, check-config,
# deliver, list, show, set, quarantine, import, stats, exit codes.
set -eu

: "${top_builddir:=.}" "${top_srcdir:=.}"
PD="$top_builddir/postdesk"
PY=/usr/bin/python3
[ -x "$PD" ] || { echo "# $PD not built"; exit 99; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
conf="$tmp/postdesk.conf"
export POSTDESK_NOW=2026-11-21T10:00:00Z
unset ORIGINAL_RECIPIENT RECIPIENT POSTDESK_CONF 2>/dev/null || true

n=0 passed=0 failed=0
ok() {	# ok WHAT STATUS: record one check
	n=$((n + 1))
	if [ "$2" = 0 ]; then
		passed=$((passed + 1)); echo "ok $n - $1"
	else
		failed=$((failed + 1)); echo "not ok $n - $1"
		sed 's/^/#   stderr: /' "$tmp/err" | head -5
	fi
}
# run CMD...: $rc, $tmp/out, $tmp/err; never stops the script
run() { set +e; "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?; set -e; }
# pd ARGS...: run postdesk on our config (stdin passes through)
pd() { run "$PD" -c "$conf" "$@"; }
# json EXPR: EXPR true of the JSON document d in $tmp/out
json() {
	$PY -c 'import json,sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if eval("(" + sys.argv[2] + ")") else 1)' "$tmp/out" "$1" 2>>"$tmp/err"
}
# is GOT WANT: equal strings, else say both (on stderr: we run inside $(...))
is() { [ "$1" = "$2" ] || { printf '#   got:  %s\n#   want: %s\n' "$1" "$2" >&2; return 1; }; }

cat > "$conf" <<EOF
database    = "db/postdesk.db";
spool       = "spool";
secret_file = "secret";
base_url    = "https://help.example.com/cgi-bin/postdesk.cgi";
templates   = "templates";
staff  = ( { name = "Alice Smith"; email = "alice@example.com"; role = "admin"; } );
queues = ( { name = "Support"; address = "support@example.com";
             staff = [ "alice@example.com" ]; } );
EOF
mkdir "$tmp/templates"
for e in ticket_created staff_new_ticket staff_customer_reply staff_reply \
    status_changed ticket_resolved ticket_closed ticket_reopened sla_warning \
    sla_breached ticket_escalated ticket_assigned attachment_refused; do
	printf 'Subject: {{subject}}\n\nHello {{customer_name}}, {{ticket_ref}} is {{status}}.\n' \
	    > "$tmp/templates/$e.txt"
done
# events added since this list was written: check-config names them
"$PD" -c "$conf" check-config 2>&1 | sed -n 's/^\(.*\.txt\): missing$/\1/p' |
while read -r f; do printf 'Subject: {{subject}}\n\nHello.\n' > "$f"; done

# --- usage ---------------------------------------------------------------
run "$PD" --help
ok "--help exits 0 with usage on stdout" \
    $([ "$rc" = 0 ] && grep -q '^usage: postdesk' "$tmp/out" && echo 0 || echo 1)
run "$PD" -c "$conf" foo
ok "unknown command: 64 and one line" $([ "$rc" = 64 ] && is "$(cat "$tmp/err")" "postdesk: unknown command 'foo' (try --help)" \
    && echo 0 || echo 1)
run "$PD" -x list
ok "unknown option: 64" $([ "$rc" = 64 ] && [ "$(wc -l < "$tmp/err")" = 1 ] && echo 0 || echo 1)
run "$PD"
ok "no command: 64" $([ "$rc" = 64 ] && echo 0 || echo 1)

# --- init, check-config --------------------------------------------------
pd init
ok "init exits 0" $([ "$rc" = 0 ] && echo 0 || echo 1)
ok "init made secret (0600), spool and database" $(
    [ "$(stat -c %a "$tmp/secret")" = 600 ] && [ -d "$tmp/spool" ] &&
    [ -f "$tmp/db/postdesk.db" ] && echo 0 || echo 1)
cp "$tmp/secret" "$tmp/secret.before"
pd init
ok "init again: 0, secret kept" $([ "$rc" = 0 ] &&
    grep -q "^secret key $tmp/secret exists, kept$" "$tmp/out" &&
    cmp -s "$tmp/secret" "$tmp/secret.before" && echo 0 || echo 1)

pd check-config
ok "check-config ok" $([ "$rc" = 0 ] && is "$(cat "$tmp/out")" "$conf: ok" && echo 0 || echo 1)
printf 'database = "x.db";\nspool = ;\n' > "$tmp/broken.conf"
run "$PD" -c "$tmp/broken.conf" check-config
ok "broken config: 78 and FILE:LINE" $([ "$rc" = 78 ] &&
    is "$(cat "$tmp/err")" "$tmp/broken.conf:2: syntax error" && echo 0 || echo 1)
printf 'Subject: x\n\n{{nope}}\n' > "$tmp/templates/sla_warning.txt"
pd check-config
ok "bad template: 78 and FILE:LINE" $([ "$rc" = 78 ] &&
    is "$(cat "$tmp/err")" "$tmp/templates/sla_warning.txt:3: unknown variable {{nope}}" &&
    echo 0 || echo 1)
printf 'Subject: {{subject}}\n\nHello\n' > "$tmp/templates/sla_warning.txt"

# --- deliver -------------------------------------------------------------
cat > "$tmp/m1.eml" <<'EOF'
From: Carol Customer <carol@example.org>
To: support@example.com
Subject: Printer is on fire
Message-ID: <m1@example.org>
Date: Sat, 21 Nov 2026 09:00:00 +0000

It smokes.
EOF
pd deliver < "$tmp/m1.eml"
ok "deliver a customer mail: 0" $([ "$rc" = 0 ] && echo 0 || echo 1)
pd list --json
ok "list --json: one ticket TKT-0001, open, customer, subject" $([ "$rc" = 0 ] && json '
len(d) == 1 and d[0]["ref"] == "TKT-0001" and d[0]["status"] == "open" and
d[0]["customer"] == {"email": "carol@example.org", "name": "Carol Customer"} and
d[0]["subject"] == "Printer is on fire" and d[0]["queue"] == "Support" and
d[0]["priority"] == "normal" and d[0]["assignee"] is None and d[0]["labels"] == [] and
d[0]["created_at"] == "2026-11-21T10:00:00Z" and d[0]["resolved_at"] is None and
d[0]["merged_into"] is None and "messages" not in d[0]' && echo 0 || echo 1)
ok "list --json keys in SPEC order" $([ "$rc" = 0 ] && json '
list(d[0].keys()) == ["ref", "subject", "status", "priority", "queue", "assignee",
"customer", "labels", "created_at", "updated_at", "first_response_at", "resolved_at",
"merged_into"]' && echo 0 || echo 1)
pd show TKT-0001 --json
ok "show --json: one message with its exact text" $([ "$rc" = 0 ] && json '
len(d["messages"]) == 1 and d["messages"][0]["text"] == "It smokes." and
d["messages"][0]["kind"] == "customer" and d["messages"][0]["from"] == "carol@example.org" and
d["messages"][0]["subject"] == "Printer is on fire" and
d["messages"][0]["date"] == "2026-11-21T09:00:00Z" and d["messages"][0]["attachments"] == []' &&
    echo 0 || echo 1)
pd show TKT-0001
ok "show text: header and message block" $([ "$rc" = 0 ] &&
    grep -q '^TKT-0001  Printer is on fire$' "$tmp/out" &&
    grep -q '^--- #[0-9]* customer from carol@example.org 2026-11-21T09:00:00Z$' "$tmp/out" &&
    grep -q '^It smokes\.$' "$tmp/out" && echo 0 || echo 1)
pd show TKT-9999
ok "show unknown ref: 65" $([ "$rc" = 65 ] &&
    is "$(cat "$tmp/err")" "postdesk: show: no ticket TKT-9999" && echo 0 || echo 1)

pd -v deliver < "$tmp/m1.eml"
ok "deliver the same bytes again: 0, a duplicate" $([ "$rc" = 0 ] &&
    is "$(cat "$tmp/out")" "- duplicate" && echo 0 || echo 1)
pd list --json
ok "still one ticket" $(json 'len(d) == 1' && echo 0 || echo 1)

cat > "$tmp/m2.eml" <<'EOF'
From: Carol Customer <carol@example.org>
To: support@example.com
Subject: Re: [TKT-0001] Printer is on fire
Message-ID: <m2@example.org>
Date: Sat, 21 Nov 2026 09:30:00 +0000

Now it is out.
EOF
pd -v deliver < "$tmp/m2.eml"
ok "reply with [TKT-0001] threads" $([ "$rc" = 0 ] && is "$(cat "$tmp/out")" "TKT-0001 threaded" &&
    echo 0 || echo 1)
pd show TKT-0001 --json
ok "ticket has 2 customer messages" $(json '
[m["text"] for m in d["messages"] if m["kind"] == "customer"] == ["It smokes.",
"Now it is out."]' && echo 0 || echo 1)

run "$PD" -c "$conf" deliver < /dev/null
ok "empty stdin: 65" $([ "$rc" = 65 ] && is "$(cat "$tmp/err")" \
    "postdesk: deliver: empty message on standard input" && echo 0 || echo 1)
pd deliver --mailbox nope < "$tmp/m1.eml"
ok "unknown --mailbox: 75 (the MTA keeps the mail)" $([ "$rc" = 75 ] && echo 0 || echo 1)

# --- quarantine ----------------------------------------------------------
printf 'no headers at all\n' > "$tmp/junk.eml"
pd deliver < "$tmp/junk.eml"
ok "headerless mail: 0 (kept in quarantine)" $([ "$rc" = 0 ] && echo 0 || echo 1)
pd quarantine list
ok "quarantine list shows one row" $([ "$rc" = 0 ] && [ "$(wc -l < "$tmp/out")" = 2 ] &&
    echo 0 || echo 1)
pd quarantine list --json
ok "quarantine list --json: one held row from deliver" $(json '
len(d) == 1 and d[0]["id"] == 1 and d[0]["state"] == "held" and d[0]["source"] == "deliver"' &&
    echo 0 || echo 1)
pd quarantine show 1
ok "quarantine show: reason line then the raw bytes" $([ "$rc" = 0 ] &&
    head -1 "$tmp/out" | grep -q '^reason: ..*' &&
    is "$(tail -n +2 "$tmp/out")" "no headers at all" && echo 0 || echo 1)
pd quarantine show x
ok "quarantine show x: 64" $([ "$rc" = 64 ] && echo 0 || echo 1)
pd quarantine frob
ok "quarantine frob: 64" $([ "$rc" = 64 ] && echo 0 || echo 1)

# --- set -----------------------------------------------------------------
pd set TKT-0001 status=waiting
ok "set status=waiting: 0, one mail" $([ "$rc" = 0 ] &&
    is "$(cat "$tmp/out")" "$(printf 'TKT-0001: status: open -> waiting\nTKT-0001: 1 mail queued')" &&
    echo 0 || echo 1)
# The same change by mail tells the customer: so does set (ticket.c).
pd outbox list --json
ok "set queued status_changed to the customer" $(json '[r["recipients"] for r in d if
r["ticket"] == "TKT-0001" and r["event"] == "status_changed"] == [["carol@example.org"]]' && echo 0 || echo 1)
pd set --no-mail TKT-0001 status=in_progress
ok "set --no-mail: recorded, nothing queued" $([ "$rc" = 0 ] &&
    is "$(cat "$tmp/out")" "TKT-0001: status: waiting -> in_progress" && echo 0 || echo 1)
pd outbox list --json
ok "set --no-mail queued nothing" $(json 'len([r for r in d if r["ticket"] == "TKT-0001" and
r["event"] == "status_changed"]) == 1' && echo 0 || echo 1)
pd set --no-mail TKT-0001 status=waiting
pd list --json
ok "list shows waiting" $(json 'd[0]["status"] == "waiting"' && echo 0 || echo 1)
pd set TKT-0001 priority=high status=bogus
ok "set a bad status: 64, named" $([ "$rc" = 64 ] &&
    is "$(cat "$tmp/err")" "postdesk: set: unknown status 'bogus' (try --help)" && echo 0 || echo 1)
pd list --json
ok "nothing changed by the refused set" $(json 'd[0]["priority"] == "normal" and
d[0]["status"] == "waiting"' && echo 0 || echo 1)
pd set TKT-0001 color=red
ok "set an unknown key: 64" $([ "$rc" = 64 ] && echo 0 || echo 1)
pd set TKT-0001 assignee=alice@example.com label=vip label=printer priority=urgent
pd list --json --assignee "Alice Smith"
ok "set assignee, labels, priority" $(json 'len(d) == 1 and d[0]["assignee"] ==
"alice@example.com" and d[0]["labels"] == ["printer", "vip"] and d[0]["priority"] == "urgent"' &&
    echo 0 || echo 1)
pd set TKT-0001 label=-vip assignee=none status=resolved
pd list --json
ok "label removed, unassigned, resolved_at set" $(json 'd[0]["labels"] == ["printer"] and
d[0]["assignee"] is None and d[0]["resolved_at"] == "2026-11-21T10:00:00Z"' && echo 0 || echo 1)
pd set TKT-4242 status=open
ok "set on an unknown ticket: 65" $([ "$rc" = 65 ] && echo 0 || echo 1)
pd list --status nonsense
ok "list --status nonsense: 64" $([ "$rc" = 64 ] && echo 0 || echo 1)

# --- import --------------------------------------------------------------
cat > "$tmp/in.mbox" <<'EOF'
From dave@example.net Sat Nov 21 08:00:00 2026
From: Dave <dave@example.net>
To: support@example.com
Subject: First import
Message-ID: <i1@example.net>
Date: Sat, 21 Nov 2026 08:00:00 +0000

One.
>From the desk of Dave.

From erin@example.net Sat Nov 21 08:01:00 2026
From: Erin <erin@example.net>
To: support@example.com
Subject: Second import
Message-ID: <i2@example.net>
Date: Sat, 21 Nov 2026 08:01:00 +0000

Two.
From here on it is a body line.

From frank@example.net Sat Nov 21 08:02:00 2026
From: Frank <frank@example.net>
To: support@example.com
Subject: Third import
Message-ID: <i3@example.net>
Date: Sat, 21 Nov 2026 08:02:00 +0000

Three.

EOF
summary_re='^imported 3 mails: 3 new tickets, 0 threaded, 0 duplicates, 0 bounces, 0 loops, 0 quarantined in [0-9]+\.[0-9]{2}s \([0-9]+ mails/s\)$'
pd import "$tmp/in.mbox"
ok "import an mbox of 3 mails: 0 and the summary line" $([ "$rc" = 0 ] &&
    [ "$(wc -l < "$tmp/out")" = 1 ] && grep -Eq "$summary_re" "$tmp/out" && echo 0 || echo 1)
pd list --json
ok "3 more tickets" $(json 'len(d) == 4 and sorted(t["subject"] for t in d) == ["First import",
"Printer is on fire", "Second import", "Third import"]' && echo 0 || echo 1)
pd list --json --search "desk"
ok "'>From' unescaped and searchable" $(json 'len(d) == 1 and d[0]["subject"] == "First import"' &&
    echo 0 || echo 1)
pd list --json
ref2=$($PY -c 'import json,sys; print([t["ref"] for t in json.load(open(sys.argv[1]))
    if t["subject"] == "Second import"][0])' "$tmp/out" 2>/dev/null || echo none)
pd show "$ref2" --json
ok "an unescaped 'From ' body line stays in its mail" $(json '
d["messages"][0]["text"] == "Two.\nFrom here on it is a body line."' && echo 0 || echo 1)
pd import "$tmp/in.mbox"
ok "import again: all duplicates" $([ "$rc" = 0 ] && grep -Eq \
    '^imported 3 mails: 0 new tickets, 0 threaded, 3 duplicates, 0 bounces, 0 loops, 0 quarantined in ' \
    "$tmp/out" && echo 0 || echo 1)

mkdir -p "$tmp/md/new" "$tmp/md/cur" "$tmp/md/tmp"
sed -e 's/<m1@/<md1@/' -e 's/Printer is on fire/Maildir one/' "$tmp/m1.eml" \
    > "$tmp/md/cur/1700000002.M1P1.host:2,S"
sed -e 's/<m1@/<md2@/' -e 's/Printer is on fire/Maildir two/' "$tmp/m1.eml" \
    > "$tmp/md/new/1700000001.M1P1.host"
pd import "$tmp/md"
ok "import a Maildir: 2 new tickets" $([ "$rc" = 0 ] && grep -Eq \
    '^imported 2 mails: 2 new tickets, 0 threaded, 0 duplicates' "$tmp/out" && echo 0 || echo 1)
pd list --json
ok "Maildir new/ before cur/" $(json '[t["ref"] for t in d if t["subject"].startswith("Maildir")]
== ["TKT-0006", "TKT-0005"] and [t["subject"] for t in d if t["ref"] == "TKT-0005"] ==
["Maildir two"]' && echo 0 || echo 1)
pd import "$tmp/nonexistent"
ok "import of a missing path: 66" $([ "$rc" = 66 ] && echo 0 || echo 1)
pd import
ok "import without PATH: 64" $([ "$rc" = 64 ] && echo 0 || echo 1)

# --- stats, outbox -------------------------------------------------------
pd stats --json
ok "stats --json counts tickets" $([ "$rc" = 0 ] && json 'd["tickets"] == 6 and
d["quarantine_held"] == 1' && echo 0 || echo 1)
pd stats
ok "stats text: 'tickets 6'" $(grep -qx 'tickets 6' "$tmp/out" && echo 0 || echo 1)
pd outbox list --json
ok "outbox list --json is an array" $([ "$rc" = 0 ] && json 'isinstance(d, list)' &&
    echo 0 || echo 1)
pd outbox flush
ok "outbox flush with no SMTP server: 75, the mail waits" $([ "$rc" = 75 ] && echo 0 || echo 1)

# --- quarantine retry (last: it may make tickets) -------------------------
pd quarantine retry 1
ok "quarantine retry 1: 0, old row marked retried" $([ "$rc" = 0 ] && pd quarantine list --json &&
    json 'd[0]["state"] == "retried"' && echo 0 || echo 1)
pd quarantine retry 1
ok "retrying a retried row: 65" $([ "$rc" = 65 ] && echo 0 || echo 1)

# --- import --no-mail: old mail recorded, nothing answered ---------------
pd outbox list --json
queued_before=$($PY -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' "$tmp/out")
mkdir -p "$tmp/old/new" "$tmp/old/cur" "$tmp/old/tmp"
sed -e 's/<m1@/<old1@/' -e 's/Printer is on fire/An old question/' "$tmp/m1.eml" \
    > "$tmp/old/cur/1600000001.M1P1.host:2,S"
pd import --no-mail "$tmp/old"
ok "import --no-mail: the ticket is made" $([ "$rc" = 0 ] && grep -Eq \
    '^imported 1 mails: 1 new tickets, ' "$tmp/out" && echo 0 || echo 1)
pd outbox list --json
ok "import --no-mail: nothing queued" $(json "len(d) == $queued_before" && echo 0 || echo 1)

# --- vacuum: sent mail past keep_sent loses its bytes, space goes back ---
# Every queued mail but the newest is marked sent 40 days before
# POSTDESK_NOW (keep_sent is 30 days), the newest 20 days before.
$PY - "$tmp/db/postdesk.db" > "$tmp/marked" <<'PYEOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
now = 1795255200	# 2026-11-21T10:00:00Z
last = db.execute("SELECT max(id) FROM outbox WHERE length(raw) > 0 OR params IS NOT NULL").fetchone()[0]
n = db.execute("UPDATE outbox SET status = 'sent', sent_at = ? WHERE (length(raw) > 0 OR params IS NOT NULL) AND id < ?",
               (now - 40 * 86400, last)).rowcount
db.execute("UPDATE outbox SET status = 'sent', sent_at = ? WHERE id = ?", (now - 20 * 86400, last))
# a long body as an older postdesk kept it: plain text
db.execute("UPDATE messages SET body = ?, visible_text = NULL, visible_len = NULL WHERE id = 1",
           ("An old long line of text, kept as it came.\n" * 40,))
print(n)
PYEOF
marked=$(cat "$tmp/marked")
tickets_before=$($PY -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM tickets").fetchone()[0])' "$tmp/db/postdesk.db")
pd vacuum
ok "vacuum: exit 0, drops the bytes of the $marked sent mails" $([ "$rc" = 0 ] && [ "$marked" -gt 0 ] &&
    grep -Eq "^vacuum: $marked sent mails' bytes dropped, 1 text deflated; database [0-9]+ -> [0-9]+ bytes$" "$tmp/out" &&
    echo 0 || echo 1)
ok "vacuum: the database is smaller" $(b=$(sed -E 's/.*database ([0-9]+) -> ([0-9]+) bytes/\1/' "$tmp/out");
    a=$(sed -E 's/.*database ([0-9]+) -> ([0-9]+) bytes/\2/' "$tmp/out");
    [ "$a" -lt "$b" ] && [ "$a" = "$(stat -c %s "$tmp/db/postdesk.db")" ] && echo 0 || echo 1)
ok "vacuum: tickets kept, only the mail sent 20 days ago keeps its bytes" $($PY -c '
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
t = db.execute("SELECT count(*) FROM tickets").fetchone()[0]
left = db.execute("SELECT count(*) FROM outbox WHERE status = ? AND (length(raw) > 0 OR params IS NOT NULL)", ("sent",)).fetchone()[0]
ok = db.execute("PRAGMA integrity_check").fetchone()[0]
sys.exit(0 if t == int(sys.argv[2]) and left == 1 and ok == "ok" else 1)' "$tmp/db/postdesk.db" "$tickets_before" && echo 0 || echo 1)
ok "vacuum: the old long text deflated, the same text" $($PY -c '
import sqlite3, sys, zlib
t, b = sqlite3.connect(sys.argv[1]).execute("SELECT typeof(body), body FROM messages WHERE id = 1").fetchone()
sys.exit(0 if t == "blob" and zlib.decompress(b, -15).decode() == "An old long line of text, kept as it came.\n" * 40 else 1)' "$tmp/db/postdesk.db" && echo 0 || echo 1)
pd vacuum extra
ok "vacuum with an argument: 64" $([ "$rc" = 64 ] && echo 0 || echo 1)

# --- import: a mail that fails half way in a batch without savepoints --
# Its own instance.  A trigger makes two mails' message rows fail after
# their raw mail, ticket and customer rows were written: the batch is
# taken in again with a savepoint each, the two are quarantined, the
# other mails stored once, nothing of the two left behind.
mkdir -p "$tmp/bulk"
sed 's|^templates   = "templates";|templates   = "../templates";|' "$conf" > "$tmp/bulk/postdesk.conf"
run "$PD" -c "$tmp/bulk/postdesk.conf" init
$PY - "$tmp/bulk/db/postdesk.db" "$tmp/bulk/in.mbox" <<'PYEOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("CREATE TRIGGER boom BEFORE INSERT ON messages WHEN NEW.subject = 'boom' "
           "BEGIN SELECT RAISE(ABORT, 'boom'); END")
db.commit()
with open(sys.argv[2], "w") as f:
    for i in range(12):
        f.write("From b%d@example.net Sat Jan  3 01:05:34 2026\nFrom: Person %d <b%d@example.net>\n"
                "To: support@example.com\nSubject: %s\nMessage-ID: <bulk%d@example.net>\n\n"
                "Mail %d.\n\n" % (i, i, i, "boom" if i in (4, 9) else "Bulk %d" % i, i, i))
PYEOF
run "$PD" -c "$tmp/bulk/postdesk.conf" import "$tmp/bulk/in.mbox"
ok "import with two failing mails: 10 new tickets, 2 quarantined" $([ "$rc" = 0 ] && grep -Eq \
    '^imported 12 mails: 10 new tickets, 0 threaded, 0 duplicates, 0 bounces, 0 loops, 2 quarantined' \
    "$tmp/out" && grep -q 'taken in again' "$tmp/err" && echo 0 || echo 1)
ok "each stored once, the failed ones only in quarantine" $($PY -c '
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
one = lambda q: db.execute(q).fetchone()[0]
sys.exit(0 if one("SELECT count(*) FROM messages") == 10 and
    one("SELECT count(DISTINCT message_id) FROM messages") == 10 and
    one("SELECT count(*) FROM tickets") == 10 and
    one("SELECT count(*) FROM customers") == 10 and
    one("SELECT count(*) FROM raw_mail") == 12 and one("SELECT count(*) FROM seen") == 12 and
    one("SELECT count(*) FROM quarantine WHERE reason LIKE \"internal error: %boom%\"") == 2 and
    one("SELECT count(*) FROM outbox WHERE ticket_id NOT IN (SELECT id FROM tickets)") == 0 and
    one("SELECT count(*) FROM messages_fts WHERE messages_fts MATCH \"bulk\"") == 10
    else 1)' "$tmp/bulk/db/postdesk.db" && echo 0 || echo 1)
run "$PD" -c "$tmp/bulk/postdesk.conf" import "$tmp/bulk/in.mbox"
ok "and again: 12 duplicates" $([ "$rc" = 0 ] && grep -Eq \
    '^imported 12 mails: 0 new tickets, 0 threaded, 12 duplicates' "$tmp/out" && echo 0 || echo 1)

LEAKSCAN_POSTDESK="$PD" run $PY "$top_srcdir/tests/tools/leakscan.py" "$tmp"
cat "$tmp/out"
ok "outgoing mail: nothing of the staff side reached a customer" "$rc"

echo "1..$n"
echo "# $passed passed, $failed failed"
[ "$failed" = 0 ]
