"""Scan every mail a test sent to a customer for what must never reach one.

Usage: /usr/bin/python3 leakscan.py DIR

DIR is a test's temporary folder.  Found in it, at any depth:
  - postdesk configurations (*.conf with a "staff" list): the staff
    addresses (email = "...") and the queue addresses (address = "...");
  - databases (*.db with an outbox table): every outgoing mail that still
    holds its bytes or what it is made of, with its recipients (a mail
    rendered when it is sent is read through `postdesk outbox show ID`,
    the binary named by $LEAKSCAN_POSTDESK, with the configuration
    whose database it is); the notes' text (messages of kind 'note',
    less what the ticket's customers wrote themselves);
  - SMTP sinks (tests/tools/smtpd.py: NNNN.eml beside NNNN.env with the
    envelope recipients);
  - Dovecot maildirs (mail/USER/{cur,new} and their folders).
A customer is any recipient that is neither a staff address nor a queue
address (nor a queue's plus address).  A mail to a customer must not hold
(in its raw bytes or its decoded headers and text parts): a staff address,
a staff member's tokenised reply address (queue+REF.HMAC@), the staff
notification's reply marker or its "Reply to this mail to answer the
customer" footer, or a line of a note.

Prints one "# leak: ..." line per finding and exits 1; else prints what it
scanned and exits 0.  A mail it cannot parse is a finding too.
"""
import email
import email.policy
import email.utils
import os
import re
import sqlite3
import subprocess
import sys
import zlib


def stored_text(v):
    """A message's body as stored: TEXT, or a long one raw-deflated (a BLOB)."""
    return zlib.decompress(v, -15).decode("utf-8") if isinstance(v, bytes) else v


MARKERS = (
    "##- Please write your reply above this line -##",
    "Reply to this mail to answer the customer",
)
TOKEN_RE = re.compile(r"\+[A-Z][A-Z0-9]*-[0-9]+\.[0-9a-f]{4,}@", re.I)
NOTE_LINE_MIN = 16      # shorter note lines ("Thanks", "OK") are too common


def norm(s):
    return " ".join(s.split()).lower()


def walk(top):
    for d, dirs, files in os.walk(top):
        for f in files:
            yield d, f


class Scan:
    def __init__(self, top):
        self.top = top
        self.staff = set()
        self.queues = set()
        self.notes = set()
        self.customer_text = []
        self.findings = []
        self.scanned = {"outbox": 0, "smtp": 0, "maildir": 0}
        self.dbs = []
        self.confs = {}         # database (real path) -> its configuration
        self.to_customers = 0
        for d, f in walk(top):
            p = os.path.join(d, f)
            if f.endswith(".conf"):
                self.read_conf(p)
            elif f.endswith(".db"):
                self.dbs.append(p)
        for p in self.dbs:
            self.read_db(p)

    def read_conf(self, p):
        try:
            text = open(p, encoding="utf-8", errors="replace").read()
        except OSError:
            return
        for d in re.findall(r'^\s*database\s*=\s*"([^"]+)"', text, re.M):
            d = os.path.join(os.path.dirname(os.path.abspath(p)), d)
            self.confs[os.path.realpath(d)] = p
        if not re.search(r"^\s*staff\s*=\s*\(", text, re.M):
            return
        for a in re.findall(r'\bemail\s*=\s*"([^"]+)"', text):
            self.staff.add(a.lower())
        for a in re.findall(r'\baddress\s*=\s*"([^"]+)"', text):
            self.queues.add(a.lower())

    def db(self, p):
        try:
            db = sqlite3.connect("file:%s?mode=ro" % p, uri=True)
            names = {r[0] for r in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.Error:
            return None, set()
        return db, names

    def read_db(self, p):
        db, names = self.db(p)
        if db is None or "messages" not in names:
            return
        if "staff" in names:
            try:
                for (a,) in db.execute("SELECT email FROM staff"):
                    if a:
                        self.staff.add(a.lower())
            except sqlite3.Error:
                pass
        for kind, body in db.execute("SELECT kind, body FROM messages"):
            if kind == "customer" and body:
                self.customer_text.append(norm(stored_text(body)))
        cust = " \n ".join(self.customer_text)
        for (body,) in db.execute("SELECT body FROM messages WHERE kind = 'note'"):
            for line in stored_text(body or "").splitlines():
                line = line.strip()
                if (len(line) < NOTE_LINE_MIN or line.startswith(">") or
                        line.startswith("[commands refused:") or norm(line) in cust):
                    continue
                self.notes.add(norm(line))
        db.close()

    def is_customer(self, addr):
        a = email.utils.parseaddr(addr)[1].lower() or addr.strip().strip("<>").lower()
        if not a or a in self.staff or a in self.queues:
            return False
        local, _, dom = a.rpartition("@")
        base = local.split("+", 1)[0] + "@" + dom
        return base not in self.queues

    def check(self, where, raw, rcpts):
        custs = [r for r in rcpts if self.is_customer(r)]
        if not custs:
            return
        self.to_customers += 1
        try:
            m = email.message_from_bytes(raw, policy=email.policy.default)
            parts = [str(v) for k, v in m.items()]
            for part in m.walk():
                if part.get_content_maintype() == "text":
                    parts.append(part.get_content())
        except Exception as e:          # unreadable mail to a customer
            self.findings.append("%s to %s: cannot be read: %s" % (where, custs[0], e))
            return
        text = raw.decode("utf-8", "replace") + "\n" + "\n".join(parts)
        low = text.lower()
        flat = norm(text)
        what = []
        for a in sorted(self.staff):
            if a in low:
                what.append("staff address " + a)
        for mk in MARKERS:
            if mk.lower() in low:
                what.append("notification text %r" % mk)
        if TOKEN_RE.search(text):
            what.append("tokenised reply address " + TOKEN_RE.search(text).group(0))
        for n in sorted(self.notes):
            if n in flat:
                what.append("note text %r" % n[:60])
        for w in what:
            self.findings.append("%s to %s: %s" % (where, ",".join(custs), w))

    def run(self):
        for p in self.dbs:
            db, names = self.db(p)
            if db is None or "outbox" not in names:
                continue
            rcpt_table = "outbox_rcpts" in names
            cols = {r[1] for r in db.execute("PRAGMA table_info(outbox)")}
            made = "params IS NOT NULL" if "params" in cols else "0"
            for oid, raw in db.execute(
                    "SELECT id, raw FROM outbox WHERE (raw IS NOT NULL AND length(raw) > 0) "
                    "OR " + made):
                if isinstance(raw, str):
                    raw = raw.encode("utf-8", "surrogateescape")
                if not raw:
                    raw = self.render(p, oid)
                    if raw is None:
                        continue
                rcpts = []
                if rcpt_table:
                    rcpts = [r for (r,) in db.execute(
                        "SELECT addr FROM outbox_rcpts WHERE outbox_id = ?", (oid,))]
                self.scanned["outbox"] += 1
                self.check("%s outbox %d" % (os.path.relpath(p, self.top), oid), raw, rcpts)
            db.close()
        for d, f in walk(self.top):
            p = os.path.join(d, f)
            if f.endswith(".env") and os.path.exists(p[:-4] + ".eml"):
                rcpts = [l[8:].strip() for l in open(p, errors="replace")
                         if l.startswith("RCPT TO ")]
                self.scanned["smtp"] += 1
                self.check(os.path.relpath(p[:-4] + ".eml", self.top),
                           open(p[:-4] + ".eml", "rb").read(), rcpts)
            elif os.path.basename(d) in ("cur", "new"):
                user = self.maildir_user(d)
                if user:
                    self.scanned["maildir"] += 1
                    self.check(os.path.relpath(p, self.top), open(p, "rb").read(), [user])
        for x in self.findings:
            print("# leak: " + x)
        print("# leakscan: %d outbox, %d SMTP sink and %d mailbox mails, %d of them to "
              "customers; %d staff addresses, %d note lines: %d leaks" % (
                  self.scanned["outbox"], self.scanned["smtp"], self.scanned["maildir"],
                  self.to_customers, len(self.staff), len(self.notes), len(self.findings)))
        return 1 if self.findings else 0

    def render(self, p, oid):
        """The bytes of an outbox mail made when it is sent, as postdesk
        makes them; None (and a finding) when it cannot."""
        where = "%s outbox %d" % (os.path.relpath(p, self.top), oid)
        pd = os.environ.get("LEAKSCAN_POSTDESK")
        conf = self.confs.get(os.path.realpath(p))
        if not pd or not conf:
            self.findings.append("%s: cannot be read (no %s)" % (
                where, "configuration naming it" if pd else "$LEAKSCAN_POSTDESK"))
            return None
        r = subprocess.run([os.path.abspath(pd), "outbox", "show", str(oid)],
                           env=dict(os.environ, POSTDESK_CONF=conf),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if r.returncode == 65 and b"dropped after limits.keep_sent" in r.stderr:
            return None         # its bytes are gone: nothing to leak
        if r.returncode != 0:
            self.findings.append("%s: outbox show exited %d: %s" % (
                where, r.returncode, r.stderr.decode("utf-8", "replace").strip()))
            return None
        return r.stdout

    def maildir_user(self, d):
        # .../mail/USER/cur or .../mail/USER/.Folder/cur
        up = os.path.dirname(d)
        if os.path.basename(up).startswith("."):
            up = os.path.dirname(up)
        user = os.path.basename(up)
        if "@" in user and os.path.basename(os.path.dirname(up)) == "mail":
            return user
        return None


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.stderr.write("usage: leakscan.py DIR\n")
        sys.exit(2)
    sys.exit(Scan(sys.argv[1]).run())
