#!/bin/bash
# t_parts.sh: parts keep their nature (issue 8 item 4) through `postdesk
# deliver` and the store: Apple Mail's inline text files, Lotus Notes'
# uuencoded files, bare-CR and mixed line ends, a binary part in a CRLF
# mail and Outlook's forward as attachment.  Each file is an attachment
# row with its name, size and SHA-256, its bytes in the spool equal to
# the file that was sent (tests/mail/message/mk_parts.py made them), the
# stored text is what a reader sees, and `show --json` lists them.
. "$(dirname "$0")/lib.sh"

[ -x "$PD" ] || { echo "# $PD not built"; exit 99; }
export POSTDESK_NOW=2026-12-01T13:00:00Z
write_config
MAIL="$top_srcdir/tests/mail/message"

json_get() {	# json_get EXPR: EXPR of the JSON document in $TMP/show.json
	$PY -c 'import json,sys
d = json.load(open(sys.argv[1]))
print(eval(sys.argv[2]), end="")' "$TMP/show.json" "$1"
}
atts() {	# atts MESSAGE-ID: name|type|size|sha256 of its attachments
	sql "SELECT a.filename, a.content_type, a.size, a.sha256 FROM attachments a
	    JOIN messages m ON m.id = a.message_id WHERE m.message_id = '$1' ORDER BY a.id"
}
att_bytes() {	# att_bytes SHA: the bytes kept under SHA (blobs table, sql/014, or spool)
	$PY - "$TMP/var/postdesk.db" "$1" "$TMP/var/spool/att/${1:0:2}/$1" <<'PYEOF'
import os, sqlite3, sys, zlib
row = sqlite3.connect(sys.argv[1]).execute("SELECT size, data FROM blobs WHERE sha256 = ?",
                                           (sys.argv[2],)).fetchone()
if row:
    data = zlib.decompress(row[1], -15) if len(row[1]) < row[0] else row[1]
elif os.path.exists(sys.argv[3]):
    data = open(sys.argv[3], "rb").read()
else:
    data = b""
sys.stdout.buffer.write(data)
PYEOF
}
spool_sha() {	# spool_sha SHA: the SHA-256 of the bytes kept under SHA
	att_bytes "$1" | sha256sum | cut -d' ' -f1
}
body() { sql "SELECT body FROM messages WHERE message_id = '$1'"; }

PDF=ee9d5956f022fd4dc5c0b15d5115aa502daed246daeb808eab13f44ed42523ae
PNG=e285bc4eebdb8e005f6e939b6cf1f33c892fe92baad4280dce43572470bcea27
BIN=00216cb122a640f2aa9b5bfa34a094df63086588b7b7ae6567feec94556e3850
JPG=759fbcf58fa48af73f9d6e85d78248b2b3fa54db974afe9598dce14a151d1472
LOG=cdef0fbf50f473e26ba7f4f0d32f9c767d93d762e1d92ba6cb36c5d3aa308841
NOTES=9916c30065444845d8f24a5ad80a0745deb793fda5665b927d6c5bd6c8f1293e

n=0
for f in inline-named uuencode bare-cr mixed-eol crlf-binary forward; do
	"$PD" deliver < "$MAIL/$f.eml" > "$TMP/$f.out" 2> "$TMP/$f.err"
	is "deliver $f: exit 0" "$?" 0
	n=$((n + 1))
done
is "six tickets, nothing quarantined" \
    "$(sql "SELECT (SELECT count(*) FROM tickets), (SELECT count(*) FROM quarantine)")" "6|0"

# --- Apple Mail: inline text files are attachments, their text stays ----
is "inline: two attachments with their names" "$(atts A1B2C3D4-inline@example.org)" \
    "server.log|text/plain|131|$LOG
notes.txt|text/plain|19|$NOTES"
is "inline: the text shown where it stood" "$(body A1B2C3D4-inline@example.org)" \
    "$(printf "Hello, the log of last night's failure:\n\n2026-12-01 02:00:01 backup started\n2026-12-01 02:14:57 error: /dev/sdb1: I/O error, sector 8812\n2026-12-01 02:14:58 backup aborted\n\nThanks, Ann\n\nZählerstand: 4711")"
is "inline: spool bytes of server.log" "$(spool_sha $LOG)" $LOG

# --- Lotus Notes: uuencoded files out of the text -----------------------
uu=OF1A2B3C4D.5E6F7A8B-ONC1257F00.00123456-C1257F00.00123457@notes.example.de
is "uuencode: two attachments, names, sizes, SHA-256" "$(atts $uu)" \
    "report.pdf|application/pdf|1052|$PDF
display photo.png|image/png|356|$PNG"
is "uuencode: report.pdf bytes in the spool" "$(spool_sha $PDF)" $PDF
is "uuencode: display photo.png bytes in the spool" "$(spool_sha $PNG)" $PNG
is "uuencode: no uuencoded line left in the text" \
    "$(body $uu | grep -c -e '^begin 6[04][04] report' -e '^begin 600 display' -e '^M' -e '^`$')" 0
is "uuencode: the words around them kept" "$(body $uu | sed -n '1p;7p;$p')" \
    "Hello,
(See attached file: report.pdf)(See attached file: display photo.png)
P.S. The serial number is on the back."

# --- bare CR: a ticket from Claude, the raw mail kept as received -------
is "bare CR: From and subject" \
    "$(sql "SELECT from_addr, subject FROM messages WHERE message_id = 'v04210100b3c4d5e6f7a8@[192.168.1.20]'")" \
    "claude@mac.example.fr|Données du capteur"
is "bare CR: text with LF line ends" "$(body 'v04210100b3c4d5e6f7a8@[192.168.1.20]')" \
    "$(printf 'Bonjour,\n\nTrès bien, voici les données.\n\nClaude')"
is "bare CR: the base64 file decodes to its bytes" "$(atts 'v04210100b3c4d5e6f7a8@[192.168.1.20]')" \
    "mesures.pdf|application/pdf|519|$BIN"
is "bare CR: spool bytes" "$(spool_sha $BIN)" $BIN
is "bare CR: raw mail stored as received" \
    "$(sql "SELECT r.size FROM raw_mail r JOIN messages m ON m.raw_sha256 = r.sha256 WHERE m.message_id = 'v04210100b3c4d5e6f7a8@[192.168.1.20]'") $(sql "SELECT m.raw_sha256 FROM messages m WHERE m.message_id = 'v04210100b3c4d5e6f7a8@[192.168.1.20]'")" \
    "$(wc -c < "$MAIL/bare-cr.eml") $(sha256sum < "$MAIL/bare-cr.eml" | cut -d' ' -f1)"

# --- mixed line ends and a CRLF mail's binary part ------------------------
is "mixed line ends: sender, text and the JPEG" \
    "$(sql "SELECT from_addr, subject, body FROM messages WHERE message_id = 'export-20261201@example.net'")
$(atts export-20261201@example.net)" \
    "ops@example.net|Nightly export|Export attached.
Rows: 1204
chart.jpg|image/jpeg|525|$JPG"
is "binary part in a CRLF mail: its CRs kept" "$(atts build-42@example.net)" \
    "screen.png|image/png|519|$BIN"

# --- Outlook's forward as attachment -------------------------------------
fw=DB7PR01MB1234ABCD@DB7PR01MB1234.eurprd01.prod.outlook.com
is "forward: the .eml and the forwarded mail's two files" "$(atts $fw | cut -d'|' -f1-3)" \
    "Printer broken.eml|message/rfc822|$(atts $fw | sed -n '1s/.*|\([0-9]*\)|.*/\1/p')
error.jpg|image/jpeg|525
invoice.pdf|application/pdf|1052"
is "forward: the files' SHA-256" "$(atts $fw | sed -n '2,3p' | cut -d'|' -f4 | tr '\n' ' ')" "$JPG $PDF "
ok "forward: the .eml in the spool holds the forwarded mail" \
    eval "att_bytes $(atts $fw | sed -n '1s/.*|//p') | grep -q '^Subject: Printer broken'"
is "forward: its subject and From shown below the sender's words" "$(body $fw | sed -n '1p;5,8p')" \
    "Hi, a customer of ours wrote this; can you help?
---------- Forwarded message ----------
From: Jörg Kunde <Joerg@Customer.example>
Date: Mon, 30 Nov 2026 09:15:00 +0100
Subject: Printer broken"
is "forward: kept whole as the new text (a forward is read)" \
    "$(sql "SELECT visible_text IS NULL FROM messages WHERE message_id = '$fw'")" 1

# --- show --json lists them ----------------------------------------------
ref=$(sql "SELECT t.ref FROM tickets t JOIN messages m ON m.ticket_id = t.id WHERE m.message_id = '$fw'")
"$PD" show --json "$ref" > "$TMP/show.json" 2> "$TMP/show.err"
is "show --json: exit 0" "$?" 0
is "show --json: the forward's attachments" \
    "$(json_get '[(a["filename"], a["size"]) for a in d["messages"][0]["attachments"]][1:]')" \
    "[('error.jpg', 525), ('invoice.pdf', 1052)]"
is "show --json: the forwarded subject in the text" \
    "$(json_get '"Subject: Printer broken" in d["messages"][0]["text"]')" True
ref=$(sql "SELECT t.ref FROM tickets t JOIN messages m ON m.ticket_id = t.id WHERE m.message_id = '$uu'")
"$PD" show --json "$ref" > "$TMP/show.json" 2> "$TMP/show.err"
is "show --json: the uuencoded files with their SHA-256" \
    "$(json_get '[(a["filename"], a["content_type"], a["sha256"]) for a in d["messages"][0]["attachments"]]')" \
    "[('report.pdf', 'application/pdf', '$PDF'), ('display photo.png', 'image/png', '$PNG')]"
# --- real mail from other projects' tests (../shared/corpus) -------------
# Forwarded mails (RFC 2046's Argentina map, Dovecot's nested messages, a
# base64-encoded message/rfc822): every file of the forwarded mail that
# mail-parser's expected tree lists is an attachment row with the same
# bytes, and the forwarded subject is in the text.
CORPUS="$top_srcdir/../shared/corpus/mime"
if [ -d "$CORPUS" ]; then
	# rfc/008 has no From and thirdparty/007 a From without a domain:
	# given one, they become tickets (else they are quarantined whole)
	for f in rfc/002 rfc/008 thirdparty/007; do
		case $f in
		rfc/008) { printf 'From: corpus@example.org\n'; cat "$CORPUS/$f.eml"; } ;;
		thirdparty/007) sed '1s/<moderator>/<moderator@example.org>/' "$CORPUS/$f.eml" ;;
		*) cat "$CORPUS/$f.eml" ;;
		esac > "$TMP/corpus.eml"
		"$PD" deliver < "$TMP/corpus.eml" > "$TMP/c.out" 2> "$TMP/c.err"
		is "corpus $f: deliver exits 0" "$?" 0
		ok "corpus $f: the forwarded mail's files and subject are kept" \
		    $PY - "$CORPUS/$f" "$TMP/var/postdesk.db" "$TMP/corpus.eml" <<'PYEOF'
import hashlib, json, sqlite3, sys
d = json.load(open(sys.argv[1] + ".json"))
db = sqlite3.connect(sys.argv[2])
# the message this corpus mail became: the one its raw bytes name
sha = hashlib.sha256(open(sys.argv[3], "rb").read()).hexdigest()
mid, body = db.execute("SELECT id, body FROM messages WHERE raw_sha256 = ?", (sha,)).fetchone()
have = {r[0] for r in db.execute("SELECT sha256 FROM attachments WHERE message_id = ?", (mid,))}
want, subjects = set(), []
for p in d["parts"]:
    m = p["body"].get("Message")
    if m is None:
        continue
    for h in m["parts"][0]["headers"]:
        if h["name"] == "subject":
            subjects.append(h["value"]["Text"])
    for a in m.get("attachments") or []:
        b = m["parts"][a]["body"]
        for k in ("Binary", "InlineBinary"):
            if k in b:
                want.add(hashlib.sha256(bytes(b[k])).hexdigest())
missing = want - have
bad = [s for s in subjects if "Subject: " + s not in body]
if missing or bad or not subjects:
    print("# missing files", missing, "subjects not in text", bad, subjects)
    sys.exit(1)
print("# %d forwarded files, subjects %s" % (len(want), subjects))
PYEOF
	done
fi
finish
