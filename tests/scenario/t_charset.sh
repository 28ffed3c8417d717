#!/bin/bash
# t_charset.sh: mail out is right for every script (issue 8 item 3).
# Customers write in Latin-1, Latin-2, Cyrillic, Greek, CJK, emoji and
# right-to-left text (subject, display name, body); staff answer in the
# same script.  What a real SMTP server (aiosmtpd) receives -- the
# acknowledgement, the staff notification, the relayed staff reply -- is
# decoded by Python's email package and must give back exactly the text
# written, with every text part labelled utf-8 and valid UTF-8.
. "$(dirname "$0")/lib.sh"

PDD="$top_builddir/postdeskd"
ok "smtp server started" start_smtp || finish
write_config
CONF="$TMP/etc/postdesk.conf"
# display names of our own in other scripts: a staff member and the queue
STAFF_NAME="Zoë Ångström-Łukasiewicz"
QUEUE_NAME="Поддержка Ω 支援"
sed -i "s/name = \"Alice Smith\"/name = \"$STAFF_NAME\"/; s/name = \"Support\"/name = \"$QUEUE_NAME\"/" "$CONF"
export STAFF_NAME QUEUE_NAME

# The samples: key, display name, subject, body, staff answer.
cat > "$TMP/samples.py" <<'PYEOF'
SAMPLES = [
    ("latin1", "Françoise Müller", "Très bien, ça marche à Noël",
     "Très bien, merci beaucoup. Où êtes-vous? Ça coûte 12 ¤, déjà payé.",
     "Réponse : c'est réglé, à bientôt ! Grüße aus Köln."),
    ("latin2", "Łukasz Żółć", "Zażółć gęślą jaźń",
     "Příliš žluťoučký kůň úpěl ďábelské ódy. Árvíztűrő tükörfúrógép.",
     "Dziękujemy, wszystko działa. Ďakujeme za trpezlivosť."),
    ("cyrillic", "Дмитрий Иванов", "Привет, мир: заказ № 42",
     "Съешь же ещё этих мягких французских булок, да выпей чаю.",
     "Спасибо! Ваш заказ отправлен сегодня."),
    ("greek", "Γιώργος Παπαδόπουλος", "Καλημέρα κόσμε",
     "Ξεσκεπάζω την ψυχοφθόρα βδελυγμία.",
     "Ευχαριστούμε, το πρόβλημα λύθηκε."),
    ("cjk", "山田太郎", "注文について質問です",
     "いろはにほへと ちりぬるを。我能吞下玻璃而不伤身体。키스의 고유조건은",
     "ご連絡ありがとうございます。已经处理好了。"),
    ("emoji", "Emoji Fan 😀", "Thanks 🎉👍 for the help",
     "Great job 🚀🔥 merci ❤️ 👨‍👩‍👧",
     "You are welcome 🙂 🌍"),
    ("rtl", "محمد العربي", "مرحبا بالعالم",
     "שלום עולם — مرحبا بالعالم، كيف حالك؟",
     "شكرا لك! תודה רבה."),
]
PYEOF

# customer mails, one per sample (Python writes them the usual way:
# RFC 2047 words in the headers, a utf-8 body)
$PY - "$TMP" <<'PYEOF'
import sys
from email.message import EmailMessage
from email.headerregistry import Address
sys.path.insert(0, sys.argv[1])
from samples import SAMPLES
for i, (key, name, subj, body, _) in enumerate(SAMPLES):
    m = EmailMessage()
    m["From"] = Address(name, addr_spec="c-%s@example.org" % key)
    m["To"] = "support@example.com"
    m["Subject"] = subj
    m["Message-ID"] = "<c-%s@example.org>" % key
    m["Date"] = "Sun, 22 Nov 2026 10:00:%02d +0000" % i
    m.set_content(body)
    open("%s/cust-%s.eml" % (sys.argv[1], key), "wb").write(bytes(m))
PYEOF
for f in "$TMP"/cust-*.eml; do
	"$PD" deliver < "$f" || echo "# deliver $f failed"
done
is "seven tickets" "$(sql 'SELECT count(*) FROM tickets')" 7

# staff answers, in the same script, to each ticket
$PY - "$TMP" <<'PYEOF'
import sqlite3, sys
from email.message import EmailMessage
sys.path.insert(0, sys.argv[1])
from samples import SAMPLES
db = sqlite3.connect("file:%s/var/postdesk.db?mode=ro" % sys.argv[1], uri=True)
for i, (key, name, subj, body, answer) in enumerate(SAMPLES):
    ref = db.execute("SELECT ref FROM tickets WHERE subject = ?", (subj,)).fetchone()[0]
    m = EmailMessage()
    m["Authentication-Results"] = "mx.example.com; dkim=pass header.d=example.com"
    m["From"] = "Alice <alice@example.com>"
    m["To"] = "support@example.com"
    m["Subject"] = "Re: [%s] %s" % (ref, subj)
    m["Message-ID"] = "<s-%s@example.com>" % key
    m["Date"] = "Sun, 22 Nov 2026 11:00:%02d +0000" % i
    m.set_content(answer)
    open("%s/staff-%s.eml" % (sys.argv[1], key), "wb").write(bytes(m))
PYEOF
for f in "$TMP"/staff-*.eml; do
	"$PD" deliver < "$f" || echo "# deliver $f failed"
done
"$PDD" --flush -c "$CONF" >"$TMP/flush.out" 2>&1
is "flush exits 0" "$?" 0

# What the SMTP server got, decoded: one line per check, "what<TAB>got<TAB>want".
$PY - "$TMP" > "$TMP/checks" <<'PYEOF'
import email, email.policy, glob, os, sqlite3, sys
sys.path.insert(0, sys.argv[1])
from samples import SAMPLES
db = sqlite3.connect("file:%s/var/postdesk.db?mode=ro" % sys.argv[1], uri=True)
mails = []
for f in sorted(glob.glob(sys.argv[1] + "/smtp/*.eml")):
    raw = open(f, "rb").read()
    rcpts = [l[8:] for l in open(f[:-4] + ".env").read().splitlines() if l.startswith("RCPT TO ")]
    mails.append((raw, email.message_from_bytes(raw, policy=email.policy.default), rcpts))
def out(what, got, want):
    print("%s\t%s\t%s" % (what, str(got).replace("\n", "\\n").replace("\t", "\\t"),
                          str(want).replace("\n", "\\n").replace("\t", "\\t")))
def text(m):	# the characters sent: CR LF is the wire's line end
    return m.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
staff_name, queue_name = os.environ["STAFF_NAME"], os.environ["QUEUE_NAME"]
bad = []
for raw, m, _ in mails:
    for part in m.walk():
        if part.get_content_maintype() != "text":
            continue
        cs = part.get_content_charset()
        data = part.get_payload(decode=True)
        try:
            data.decode("utf-8")
            ok = cs == "utf-8"
        except UnicodeDecodeError:
            ok = False
        if not ok:
            bad.append("%s (%s)" % (m["Subject"], cs))
out("every text part is utf-8 and labelled so", ",".join(bad), "")
for key, name, subj, body, answer in SAMPLES:
    ref = db.execute("SELECT ref FROM tickets WHERE subject = ?", (subj,)).fetchone()[0]
    cust = "c-%s@example.org" % key
    to_cust = [m for raw, m, r in mails if r == [cust]]
    ack = [m for m in to_cust if "Hello " in text(m)]
    relay = [m for m in to_cust if "Hello " not in text(m)]
    out("%s: one acknowledgement" % key, len(ack), 1)
    out("%s: one relayed answer" % key, len(relay), 1)
    if ack:
        a = ack[0]
        out("%s: ack subject" % key, a["Subject"], "[%s] We received your request: %s" % (ref, subj))
        out("%s: ack From name (the queue)" % key, a["From"].addresses[0].display_name, queue_name)
        out("%s: ack greets by name" % key, text(a).splitlines()[0], "Hello %s," % name)
    if relay:
        r = relay[0]
        out("%s: answer subject" % key, r["Subject"], "[%s] %s" % (ref, subj))
        out("%s: answer From name (staff via queue)" % key, r["From"].addresses[0].display_name,
            "%s via %s" % (staff_name, queue_name))
        out("%s: answer text" % key, text(r).rstrip("\n"), answer)
    staff = [m for raw, m, rc in mails if rc == ["alice@example.com"] and
             m["Subject"] == "[%s] New ticket: %s" % (ref, subj)]
    out("%s: staff notification" % key, len(staff), 1)
    if staff:
        t = text(staff[0])
        out("%s: notification holds the text" % key, body in t, True)
        out("%s: notification names the customer" % key, ("from %s." % name) in t, True)
PYEOF
while IFS=$'\t' read -r what got want; do
	is "$what" "$got" "$want"
done < "$TMP/checks"
ok "checks ran" test "$(wc -l < "$TMP/checks")" -gt 60
finish
