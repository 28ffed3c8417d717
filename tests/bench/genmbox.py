"""Deterministic customer mail for the postdesk benchmarks.

Usage: /usr/bin/python3 genmbox.py [options] OUT

Writes COUNT mails as one mbox file (mboxrd: body lines starting with
"From " get a ">"), or with --dir as OUT/NNNNNN.eml, one mail a file.
The same options and seed always give the same bytes.

The "typical 4 KB mail" mix: a text/plain body of about 3.5 KB; some
multipart/alternative with an HTML part; some multipart/mixed with a
small attachment; some replies from the same customer carrying the
[TKT-NNNN] tag of an earlier mail of the set and In-Reply-To/References
naming it; some quoted-printable UTF-8 bodies with RFC 2047 subjects.
Senders are drawn from --customers distinct addresses.

Options:
  --count N        mails (default 10000)
  --customers N    distinct senders (default 2000)
  --seed N         random seed (default 1)
  --replies F      share of replies to earlier mails (default 0.2);
                   0 makes every mail a new ticket
  --distinct       each mail from its own sender (customers = count)
  --dir            one file a mail in OUT/ instead of an mbox
  --ref-prefix P   ticket ref prefix (default TKT)
"""
import base64
import email.header
import os
import quopri
import random
import sys
import time

FIRST = ("Anna Ben Carla David Elena Frank Greta Hans Ines Jonas Karin Lars "
         "Maria Nils Olga Paul Rita Sven Tina Uwe Vera Walter Yusuf Zoe "
         "Jürgen Søren Zoë Łukasz Renée José Chloé Björn").split()
LAST = ("Müller Schmidt Weber Wagner Becker Hoffmann Koch Richter Klein Wolf "
        "Neumann Schwarz Braun Zimmermann Hartmann Lange Krause Lehmann "
        "Smith Jones Taylor Brown Garcia Martin Rossi Dubois Nowak Svensson").split()
DOMAINS = ["example.org", "example.net", "mail.example.com", "kunden.example.de",
           "corp.example.co.uk", "example.fr", "shop.example.io", "uni.example.edu"]
TOPICS = [
    "Invoice {n} shows the wrong amount",
    "Cannot log in to my account",
    "Password reset link expired",
    "Order {n} has not arrived",
    "Refund for order {n}",
    "Export to CSV fails with an error",
    "Printer driver crashes on startup",
    "VPN connection drops every few minutes",
    "Question about the annual plan",
    "Change the billing address on contract {n}",
    "Two-factor codes are not accepted",
    "Sync between phone and laptop is broken",
    "Feature request: dark mode",
    "Damaged parcel received",
    "Cancel subscription {n}",
]
UTF8_TOPICS = [
    "Rechnung {n} für März ist falsch",
    "Problème de connexion à mon compte",
    "Lieferung {n} – Verspätung",
    "Pedido {n}: ¿dónde está?",
    "注文 {n} が届きません",
    "Zwrot pieniędzy za zamówienie {n}",
    "Größenänderung nicht möglich",
]
WORDS = ("the a we our your account invoice order screen button error message "
         "since yesterday morning again please help urgent customer service "
         "page loads slowly shows nothing after update version browser phone "
         "laptop office team colleague report numbers total amount charged "
         "twice month contract renewal delivery address tracking number "
         "package warehouse support ticket reply thanks regards attached "
         "screenshot log file settings option menu click save cancel retry "
         "works fine until then suddenly stops without warning").split()
UTF8_WORDS = ("Grüße Köln Rückerstattung März Lieferadresse Straße über für "
              "déjà reçu problème numéro café señor año niño łódź zażółć "
              "日本語 テキスト 注文").split()
GREETINGS = ["Hello,", "Hi there,", "Dear support team,", "Good morning,", "Hello support,"]
CLOSINGS = ["Thanks,", "Best regards,", "Kind regards,", "Cheers,", "Thank you,"]


def sentence(rnd, words):
    n = rnd.randint(6, 16)
    s = " ".join(rnd.choice(words) for _ in range(n))
    return s[0].upper() + s[1:] + rnd.choice([".", ".", ".", "?", "!"])


def body_text(rnd, name, size, utf8):
    """About SIZE bytes of paragraphs, wrapped at 72 columns."""
    words = WORDS + UTF8_WORDS if utf8 else WORDS
    lines = [rnd.choice(GREETINGS), ""]
    total = 0
    while total < size:
        para = " ".join(sentence(rnd, words) for _ in range(rnd.randint(2, 5)))
        line = ""
        for w in para.split():
            if len(line) + len(w) + 1 > 72:
                lines.append(line)
                total += len(line.encode()) + 1
                line = w
            else:
                line = w if not line else line + " " + w
        lines.append(line)
        lines.append("")
        total += len(line.encode()) + 2
    lines += [rnd.choice(CLOSINGS), name, ""]
    return "\n".join(lines)


def html_of(text):
    esc = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    paras = "".join("<p>%s</p>\n" % p.replace("\n", "<br>\n")
                    for p in esc.split("\n\n") if p.strip())
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head>\n"
            "<body style=\"font-family: Arial\">\n%s</body></html>\n" % paras)


def b64_lines(data):
    s = base64.b64encode(data).decode()
    return "\n".join(s[i:i + 76] for i in range(0, len(s), 76)) + "\n"


def encode_part(text, utf8):
    """(Content-Type/Transfer-Encoding header lines, encoded body)."""
    if utf8 or not text.isascii():
        qp = quopri.encodestring(text.encode("utf-8")).decode("ascii")
        return ("Content-Type: text/plain; charset=utf-8\n"
                "Content-Transfer-Encoding: quoted-printable\n", qp)
    return ("Content-Type: text/plain; charset=us-ascii\n"
            "Content-Transfer-Encoding: 7bit\n", text)


def addr_header(name, addr):
    try:
        name.encode("ascii")
        return "%s <%s>" % (name, addr)
    except UnicodeEncodeError:
        return "%s <%s>" % (email.header.Header(name, "utf-8").encode(), addr)


def subject_header(subject):
    try:
        subject.encode("ascii")
        return subject
    except UnicodeEncodeError:
        return email.header.Header(subject, "utf-8", maxlinelen=76).encode()


def make_customers(rnd, n):
    seen, out = set(), []
    i = 0
    while len(out) < n:
        first, last = rnd.choice(FIRST), rnd.choice(LAST)
        local = "%s.%s%d" % (first.encode("ascii", "ignore").decode().lower() or "x",
                             last.encode("ascii", "ignore").decode().lower() or "y", i)
        addr = "%s@%s" % (local, rnd.choice(DOMAINS))
        i += 1
        if addr in seen:
            continue
        seen.add(addr)
        out.append(("%s %s" % (first, last), addr))
    return out


def generate(count, ncust, seed, replies, prefix):
    """Yield (envelope sender, date seconds, raw bytes) for each mail."""
    rnd = random.Random(seed)
    customers = make_customers(rnd, ncust)
    t = 1790000000  # 2026-09-21, a fixed start; each mail a little later
    tickets = []    # (ref number, customer index, subject, message-id)
    nref = 0
    for i in range(count):
        t += rnd.randint(5, 90)
        msgid = "<%d.%08x@bench.%s>" % (i, rnd.getrandbits(32), "example.org")
        utf8 = rnd.random() < 0.15
        is_reply = tickets and rnd.random() < replies
        if is_reply:
            ref, ci, subj0, parent = rnd.choice(tickets[-500:])
            subject = "Re: [%s-%04d] %s" % (prefix, ref, subj0)
        else:
            ci = i % ncust if ncust >= count else rnd.randrange(ncust)
            topics = UTF8_TOPICS if utf8 else TOPICS
            subject = rnd.choice(topics).format(n=rnd.randint(10000, 99999))
            nref += 1
            tickets.append((nref, ci, subject, msgid))
            parent = None
        name, addr = customers[ci]
        text = body_text(rnd, name, rnd.randint(2700, 3700), utf8)
        if is_reply:
            text += "\n> " + "\n> ".join(
                body_text(rnd, "Support", 300, False).splitlines()[:6]) + "\n"
        kind = rnd.random()
        hdr = [
            "Return-Path: <%s>" % addr,
            "Received: from mx.%s (mx.%s [192.0.2.%d])\n\tby mx.example.com with ESMTPS;"
            " %s" % (addr.split("@")[1], addr.split("@")[1], i % 250 + 1,
                     time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(t))),
            "From: %s" % addr_header(name, addr),
            "To: Support <support@example.com>",
            "Subject: %s" % subject_header(subject),
            "Date: %s" % time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(t)),
            "Message-ID: %s" % msgid,
            "MIME-Version: 1.0",
        ]
        if parent:
            hdr.append("In-Reply-To: %s" % parent)
            hdr.append("References: %s" % parent)
        if kind < 0.15:
            # multipart/alternative with HTML
            b = "=_alt_%d_%08x" % (i, rnd.getrandbits(32))
            ct, enc = encode_part(text, utf8)
            hb = html_of(text)
            if utf8 or not hb.isascii():
                hct = ("Content-Type: text/html; charset=utf-8\n"
                       "Content-Transfer-Encoding: quoted-printable\n")
                hb = quopri.encodestring(hb.encode("utf-8")).decode("ascii")
            else:
                hct = "Content-Type: text/html; charset=us-ascii\n"
            hdr.append('Content-Type: multipart/alternative; boundary="%s"' % b)
            body = ("This is a multi-part message in MIME format.\n\n"
                    "--%s\n%s\n%s\n--%s\n%s\n%s\n--%s--\n" % (b, ct, enc, b, hct, hb, b))
        elif kind < 0.25:
            # a small attachment
            b = "=_mix_%d_%08x" % (i, rnd.getrandbits(32))
            ct, enc = encode_part(text, utf8)
            size = rnd.randint(800, 3000)
            data = bytes(rnd.getrandbits(8) for _ in range(size))
            fname, atype = rnd.choice([("screenshot.png", "image/png"),
                                       ("invoice.pdf", "application/pdf"),
                                       ("error.log", "text/plain")])
            if atype == "text/plain":
                data = ("\n".join(sentence(rnd, WORDS) for _ in range(size // 80)) + "\n").encode()
            hdr.append('Content-Type: multipart/mixed; boundary="%s"' % b)
            body = ("--%s\n%s\n%s\n--%s\nContent-Type: %s; name=\"%s\"\n"
                    "Content-Disposition: attachment; filename=\"%s\"\n"
                    "Content-Transfer-Encoding: base64\n\n%s--%s--\n"
                    % (b, ct, enc, b, atype, fname, fname, b64_lines(data), b))
        else:
            ct, enc = encode_part(text, utf8)
            hdr.append(ct.rstrip("\n"))
            body = enc
        raw = "\n".join(hdr) + "\n\n" + body
        yield addr, t, raw.encode("utf-8")


def mboxrd_escape(raw):
    out = []
    for line in raw.split(b"\n"):
        s = line.lstrip(b">")
        if s.startswith(b"From "):
            line = b">" + line
        out.append(line)
    return b"\n".join(out)


def main(argv):
    opts = {"--count": 10000, "--customers": 2000, "--seed": 1}
    replies, as_dir, distinct, prefix = 0.2, False, False, "TKT"
    args = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in opts:
            opts[a] = int(argv[i + 1])
            i += 2
        elif a == "--replies":
            replies = float(argv[i + 1])
            i += 2
        elif a == "--ref-prefix":
            prefix = argv[i + 1]
            i += 2
        elif a in ("-h", "--help"):
            print(__doc__)
            return
        elif a == "--dir":
            as_dir, i = True, i + 1
        elif a == "--distinct":
            distinct, i = True, i + 1
        elif a.startswith("-"):
            sys.exit("genmbox.py: unknown option %s\n%s" % (a, __doc__))
        else:
            args.append(a)
            i += 1
    if len(args) != 1:
        sys.exit(__doc__)
    count, ncust = opts["--count"], opts["--customers"]
    if distinct:
        ncust = count
    gen = generate(count, ncust, opts["--seed"], replies, prefix)
    if as_dir:
        os.makedirs(args[0], exist_ok=True)
        for n, (_, _, raw) in enumerate(gen):
            with open(os.path.join(args[0], "%06d.eml" % n), "wb") as f:
                f.write(raw)
        return
    with open(args[0], "wb") as f:
        for addr, t, raw in gen:
            f.write(b"From %s %s\n" % (addr.encode(), time.strftime(
                "%a %b %d %H:%M:%S %Y", time.gmtime(t)).encode()))
            f.write(mboxrd_escape(raw))
            if not raw.endswith(b"\n"):
                f.write(b"\n")
            f.write(b"\n")


if __name__ == "__main__":
    main(sys.argv[1:])
