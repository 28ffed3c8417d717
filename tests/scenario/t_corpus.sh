#!/bin/bash
# Every message of ../shared/corpus through `postdesk deliver`: exit 0
# for all; bounces and automatic replies cause no ticket, reopen or
# outbox row; bounce statuses as bounces/expected.tsv says; every
# legacy charset stored as its UTF-8 reference.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/scenario/lib.sh"
CORPUS=${POSTDESK_CORPUS:-$top_srcdir/../shared/corpus}
if [ ! -d "$CORPUS" ]; then
	echo "# corpus folder $CORPUS absent: nothing to check"
	exit 77
fi
write_config

deliver_all() {	# deliver_all LABEL FILES...: every one exits 0
	local label=$1 bad=0 f rc; shift
	for f in "$@"; do
		"$PD" deliver < "$f" 2>>"$TMP/deliver.err"; rc=$?
		if [ $rc != 0 ]; then bad=$((bad + 1)); echo "#   $f: exit $rc"; fi
	done
	is "$label: deliver exits 0 for all $# messages" "$bad" 0
}

# Bounces first, into an empty database.
deliver_all "bounces" "$CORPUS"/bounces/*.eml
is "bounces: no ticket" "$(sql 'SELECT count(*) FROM tickets')" 0
is "bounces: no outbox row" "$(sql 'SELECT count(*) FROM outbox')" 0
# Each distinct file (some are byte-identical copies) is kept, raw bytes
# included: as an unmatched bounce, or as automatic mail (Apple's
# unsubscribe request in arf-26 carries Auto-Submitted; the list
# server's "not a member" answer in lhost-fml-02 carries list headers).
nb=$(sha256sum "$CORPUS"/bounces/*.eml | cut -d' ' -f1 | sort -u | wc -l)
is "bounces: every distinct message kept in quarantine with its raw bytes" \
	"$(sql "SELECT count(DISTINCT q.raw_sha256) FROM quarantine q JOIN raw_mail r ON r.sha256 = q.raw_sha256 WHERE q.reason LIKE 'unmatched %' OR q.reason LIKE 'automatic mail%'")" "$nb"
is "bounces: the automatic ones are exactly arf-26 and lhost-fml-02" \
	"$(sql "SELECT count(*) FROM quarantine WHERE reason LIKE 'automatic mail%'")" 2
is "bounces: all the others are unmatched bounces or reports" \
	"$(sql "SELECT count(DISTINCT raw_sha256) FROM quarantine WHERE reason LIKE 'unmatched %'")" "$((nb - 2))"
# Status per bounced recipient against expected.tsv.
$PY - "$TMP/var/postdesk.db" "$CORPUS/bounces" "${BOUNCE_FLOOR:-212}" <<'PYEOF' > "$TMP/bounce.out"
import hashlib, re, sqlite3, sys, os
db = sqlite3.connect(sys.argv[1]); d = sys.argv[2]; floor = int(sys.argv[3])
rows = [l.rstrip("\n").split("\t") for l in open(os.path.join(d, "expected.tsv")) if not l.startswith(("#", "file\t"))]
good = total = 0
for r in rows:
    f, idx, status = r[0], int(r[5]), r[6]
    p = os.path.join(d, f)
    # sisimai's own x.0.9xx codes name its reasons, not what the mail said
    if not status or not os.path.exists(p) or re.match(r"^[245]\.0\.9[0-9][0-9]$", status):
        continue
    total += 1
    sha = hashlib.sha256(open(p, "rb").read()).hexdigest()
    got = [s for (s,) in db.execute("SELECT status FROM bounces WHERE raw_sha256 = ? ORDER BY id", (sha,))]
    g = got[idx - 1] if len(got) >= idx else (got[0] if got else None)
    if g == status:
        good += 1
    else:
        print("#   %s #%d: got %s want %s" % (f, idx, g, status))
print("STATUS %d %d" % (good, total))
PYEOF
read -r _ good total < <(grep '^STATUS' "$TMP/bounce.out")
grep '^#' "$TMP/bounce.out" | head -30
echo "# bounce status exact for $good of $total recipients"
ok "bounces: status recorded exactly for at least ${BOUNCE_FLOOR:-212} of $total (got $good)" \
	test "$good" -ge "${BOUNCE_FLOOR:-212}"

# Automatic replies: stored, never answered.
before=$(sql 'SELECT count(*) FROM outbox')
qbefore=$(sql "SELECT count(*) FROM quarantine WHERE reason LIKE 'automatic mail%'")
deliver_all "autoreplies" "$CORPUS"/autoreplies/rfc3834-*.eml
is "autoreplies: no outbox row" "$(sql 'SELECT count(*) FROM outbox')" "$before"
n=$(ls "$CORPUS"/autoreplies/rfc3834-*.eml | wc -l)
is "autoreplies: each kept as automatic mail that answers no ticket" \
	"$(sql "SELECT count(*) FROM quarantine WHERE reason LIKE 'automatic mail that answers no ticket%'")" "$((qbefore + n))"
deliver_all "not a bounce" "$CORPUS"/autoreplies/is-not-bounce-*.eml
is "ordinary mail gets its acknowledgement" \
	"$(sql "SELECT count(*) FROM outbox WHERE event = 'ticket_created'")" 1

# Everything else: MIME oddities and client replies.
deliver_all "mime" $(find "$CORPUS/mime" -name '*.eml' | sort)
deliver_all "replies" "$CORPUS"/replies/talon/standard_replies/*.eml

# Legacy charsets: X.CHARSET.txt as a mail body is stored as X.utf-8.txt.
for f in "$CORPUS"/charsets/*.txt; do
	base=$(basename "$f" .txt); name=${base%%.*}; cs=${base#*.}
	[ "$cs" = utf-8 ] && continue
	[ -f "$CORPUS/charsets/$name.utf-8.txt" ] || continue
	case $cs in shift-jis) cs=Shift_JIS ;; esac
	{
		printf 'From: Charset Tester <charset-%s@example.org>\nTo: support@example.com\n' "$cs"
		printf 'Subject: charset %s\nMessage-ID: <charset-%s@example.org>\n' "$cs" "$cs"
		printf 'MIME-Version: 1.0\nContent-Type: text/plain; charset=%s\n' "$cs"
		printf 'Content-Transfer-Encoding: base64\n\n'
		base64 < "$f"
	} > "$TMP/cs.eml"
	"$PD" deliver < "$TMP/cs.eml"
	# The reference may hold characters the legacy charset cannot encode
	# (chinese.utf-8.txt has Japanese kanji that Big5 lacks, so the Big5
	# file has none of them): those are left out of the reference.
	$PY - "$TMP/var/postdesk.db" "charset-$cs@example.org" "$CORPUS/charsets/$name.utf-8.txt" "$cs" <<'PYEOF' > "$TMP/cs.out"
import sqlite3, sys, zlib
db = sqlite3.connect(sys.argv[1])
got = db.execute("SELECT body FROM messages WHERE message_id = ?", (sys.argv[2],)).fetchone()
# a long body is kept raw-deflated (a BLOB)
if got and isinstance(got[0], bytes):
    got = (zlib.decompress(got[0], -15).decode("utf-8"),)
want = open(sys.argv[3], encoding="utf-8").read().replace("\r\n", "\n")
want = want.encode(sys.argv[4], errors="ignore").decode(sys.argv[4])
print("same" if got and got[0].strip() == want.strip() else "differs")
PYEOF
	is "charset $cs stored as UTF-8 reference $name.utf-8.txt" "$(cat "$TMP/cs.out")" same
done
finish
