#!/bin/bash
# Bad input through `postdesk deliver`: a clear one-line error or
# quarantine, never a crash, never a loss (the raw bytes are kept).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenario/lib.sh"
write_config

deliver() {	# deliver FILE: exit status in $rc, stderr in $TMP/err
	"$PD" deliver < "$1" 2>"$TMP/err"; rc=$?
}
raw_kept() {	# raw_kept FILE: the database or the spool holds these exact bytes
	$PY - "$TMP/var/postdesk.db" "$TMP/var/spool" "$1" <<'PYEOF'
import hashlib, os, sqlite3, sys, zlib
raw = open(sys.argv[3], "rb").read()
sha = hashlib.sha256(raw).hexdigest()
row = sqlite3.connect(sys.argv[1]).execute(
    "SELECT data, size FROM raw_mail WHERE sha256 = ?", (sha,)).fetchone()
if row is None:
    sys.exit(1)
data = row[0] if row[0] is not None else open(
    os.path.join(sys.argv[2], "raw", sha[:2], sha), "rb").read()
if len(data) < row[1]:		# kept gzip-compressed
    data = zlib.decompress(data, 16 + 15)
sys.exit(0 if data == raw else 1)
PYEOF
}

# No header block at all.
printf 'just some words\nand more words\n' > "$TMP/noheader.eml"
deliver "$TMP/noheader.eml"
is "no headers: exit 0" "$rc" 0
is "no headers: quarantined with the reason" \
	"$(sql "SELECT reason FROM quarantine ORDER BY id DESC LIMIT 1")" "no header: the first line is not a mail header"
ok "no headers: raw bytes kept" raw_kept "$TMP/noheader.eml"

# Empty input is refused with a one-line error and EX_DATAERR.
: > "$TMP/empty.eml"
deliver "$TMP/empty.eml"
is "empty: exit 65" "$rc" 65
is "empty: one line on stderr" "$(wc -l < "$TMP/err")" 1

# NUL bytes in headers and body.
printf 'From: Nul <nul@example.org>\nTo: support@example.com\nSubject: has\0nul\nMessage-ID: <nul@example.org>\n\nbody\0with\0nuls\n' > "$TMP/nul.eml"
deliver "$TMP/nul.eml"
is "NUL bytes: exit 0" "$rc" 0
is "NUL bytes: a ticket" "$(sql "SELECT count(*) FROM messages WHERE message_id='nul@example.org'")" 1
ok "NUL bytes: stored text is valid UTF-8 without NUL" \
	test "$(sql "SELECT instr(body, char(0)) FROM messages WHERE message_id='nul@example.org'")" = 0
ok "NUL bytes: raw bytes kept" raw_kept "$TMP/nul.eml"

# 200-deep MIME nesting.
$PY - "$TMP/deep.eml" <<'PYEOF'
import sys
depth = 200
out = ["From: Deep <deep@example.org>", "To: support@example.com", "Subject: deep",
       "Message-ID: <deep@example.org>", "MIME-Version: 1.0"]
for i in range(depth):
    out.append('Content-Type: multipart/mixed; boundary="b%d"' % i)
    out.append("")
    out.append("--b%d" % i)
out += ["Content-Type: text/plain", "", "the bottom"]
for i in reversed(range(depth)):
    out.append("--b%d--" % i)
open(sys.argv[1], "w").write("\n".join(out) + "\n")
PYEOF
deliver "$TMP/deep.eml"
is "200-deep nesting: exit 0" "$rc" 0
is "200-deep nesting: recorded once" "$(sql "SELECT count(*) FROM messages WHERE message_id='deep@example.org'")" 1
ok "200-deep nesting: raw bytes kept" raw_kept "$TMP/deep.eml"

# A 50 MB attachment: the mail is recorded, the part refused, the
# sender told once.
$PY - "$TMP/big.eml" <<'PYEOF'
import base64, os, sys
with open(sys.argv[1], "wb") as f:
    f.write(b"From: Big <big@example.org>\nTo: support@example.com\nSubject: big file\n"
            b"Message-ID: <big@example.org>\nMIME-Version: 1.0\n"
            b"Content-Type: multipart/mixed; boundary=XX\n\n--XX\nContent-Type: text/plain\n\n"
            b"Here is the log.\n--XX\nContent-Type: application/pdf; name=big.pdf\n"
            b"Content-Transfer-Encoding: base64\n\n")
    chunk = os.urandom(57 * 1024)
    for i in range(50 * 1024 * 1024 // len(chunk)):
        f.write(base64.encodebytes(chunk))
    f.write(b"--XX--\n")
PYEOF
deliver "$TMP/big.eml"
is "50 MB attachment: exit 0" "$rc" 0
is "50 MB attachment: one ticket message" "$(sql "SELECT count(*) FROM messages WHERE message_id='big@example.org'")" 1
is "50 MB attachment: text kept" "$(sql "SELECT body FROM messages WHERE message_id='big@example.org'")" "Here is the log."
is "50 MB attachment: the part refused" \
	"$(sql "SELECT count(*) FROM attachments a JOIN messages m ON m.id=a.message_id WHERE m.message_id='big@example.org' AND a.sha256 IS NULL AND a.refused IS NOT NULL")" 1
is "50 MB attachment: one notice to the sender" \
	"$(sql "SELECT count(*) FROM outbox o JOIN outbox_rcpts r ON r.outbox_id=o.id WHERE o.event='attachment_refused' AND r.addr='big@example.org'")" 1
ok "50 MB attachment: raw bytes kept" raw_kept "$TMP/big.eml"

# An unknown charset still gives a ticket with readable text.
printf 'From: X <x@example.org>\nTo: support@example.com\nSubject: odd\nMessage-ID: <odd@example.org>\nContent-Type: text/plain; charset=x-no-such-charset\n\ncaf\xe9\n' > "$TMP/odd.eml"
deliver "$TMP/odd.eml"
is "unknown charset: exit 0" "$rc" 0
is "unknown charset: decoded as a fallback" "$(sql "SELECT body FROM messages WHERE message_id='odd@example.org'")" "café"

# A broken config: one FILE:LINE line per error, exit 75 (an MTA
# bounces 78; 75 keeps the mail until the config is fixed), nothing read.
printf 'queues = ( { name = "S"; address = "s@example.com"; } );\nlimits = { max_attachment = "10Q"; };\n' > "$TMP/bad.conf"
"$PD" -c "$TMP/bad.conf" deliver < "$TMP/odd.eml" 2>"$TMP/err"; rc=$?
is "broken config: exit 75" "$rc" 75
ok "broken config: FILE:LINE error" grep -q "^$TMP/bad.conf:2: limits.max_attachment: " "$TMP/err"

# A database that cannot be written: exit 75 so the MTA retries; nothing lost.
chmod 0500 "$TMP/var"
chmod 0400 "$TMP/var/postdesk.db"
printf 'From: Later <later@example.org>\nTo: support@example.com\nSubject: later\nMessage-ID: <later@example.org>\n\nretry me\n' > "$TMP/later.eml"
if [ "$(id -u)" = 0 ]; then
	# root ignores file modes: make the database file immutable instead.
	chmod 0600 "$TMP/var/postdesk.db"; chmod 0700 "$TMP/var"
	mv "$TMP/var/postdesk.db" "$TMP/var/postdesk.db.real"
	mkdir "$TMP/var/postdesk.db"
fi
deliver "$TMP/later.eml"
is "unwritable database: exit 75" "$rc" 75
is "unwritable database: one line on stderr" "$(wc -l < "$TMP/err")" 1
if [ -d "$TMP/var/postdesk.db" ]; then
	rmdir "$TMP/var/postdesk.db"; mv "$TMP/var/postdesk.db.real" "$TMP/var/postdesk.db"
fi
chmod 0700 "$TMP/var"; chmod 0600 "$TMP/var/postdesk.db"
deliver "$TMP/later.eml"
is "database back: exit 0" "$rc" 0
is "database back: recorded once" "$(sql "SELECT count(*) FROM messages WHERE message_id='later@example.org'")" 1
finish
