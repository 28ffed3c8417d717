"""LMTP load client for the postdesk bench (tests/bench/lmtp.sh).

Usage: /usr/bin/python3 lmtpsend.py [--conns N] [--rcpt ADDR] SOCKET MBOX

Sends every mail of MBOX (mboxrd, as genmbox.py writes it) to the LMTP
server at SOCKET (a unix socket path, or HOST:PORT) over N (4)
connections at once, each kept open for its whole share, the way
Postfix's LMTP client caches its connections: connection k sends mails
k, k+N, k+2N, ...  Per mail it pipelines MAIL FROM (the mbox From_
line's address, as an MTA gives the envelope sender), RCPT TO (ADDR,
support@example.com) and DATA, waits for 354, sends the dot-stuffed CR
LF mail and waits for the recipient's reply: one mail in flight per
connection, as in Postfix.  The mails are read, converted and stuffed
before the clock starts.

Prints one line: "SENT OK TEMPFAIL OTHER SECONDS CPU" (mails sent,
answered 2xx, 4xx, anything else; wall seconds from the first connect
to the last reply; this process's CPU seconds meanwhile); the first few
unexpected replies go to stderr.
"""
import os
import re
import socket
import sys
import threading
import time


def read_mbox(path):
    """[(sender, lmtp DATA payload bytes ending in .CRLF)]."""
    data = open(path, "rb").read()
    out = []
    for part in re.split(rb"(?m)^(?=From \S+ )", data):
        if not part.startswith(b"From "):
            continue
        head, _, body = part.partition(b"\n")
        sender = head.split(b" ")[1].decode()
        if body.endswith(b"\n\n"):
            body = body[:-1]	# the blank line before the next From_
        lines = []
        for line in body.split(b"\n"):
            s = line.lstrip(b">")
            if s.startswith(b"From ") and line.startswith(b">"):
                line = line[1:]	# mboxrd: one ">" less
            if line.startswith(b"."):
                line = b"." + line
            lines.append(line)
        if lines and lines[-1] == b"":
            lines.pop()
        out.append((sender, b"\r\n".join(lines) + b"\r\n.\r\n"))
    return out


class Conn:
    def __init__(self, where):
        if ":" in where and not where.startswith("/"):
            host, port = where.rsplit(":", 1)
            self.s = socket.create_connection((host, int(port)))
        else:
            self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.s.connect(where)
        self.buf = b""

    def reply(self):
        """One whole reply (its last line)."""
        while True:
            i = self.buf.find(b"\r\n")
            if i < 0:
                chunk = self.s.recv(65536)
                if not chunk:
                    raise EOFError("connection closed")
                self.buf += chunk
                continue
            line, self.buf = self.buf[:i], self.buf[i + 2:]
            if line[3:4] != b"-":
                return line


def worker(where, rcpt, mails, counts, errors, lock):
    ok = temp = other = 0
    c = Conn(where)
    c.reply()	# greeting
    c.s.sendall(b"LHLO bench.example.org\r\n")
    c.reply()
    for sender, payload in mails:
        c.s.sendall(b"MAIL FROM:<%s>\r\nRCPT TO:<%s>\r\nDATA\r\n" % (sender.encode(), rcpt))
        r = [c.reply(), c.reply(), c.reply()]
        if not r[2].startswith(b"354"):
            other += 1
            with lock:
                if len(errors) < 5:
                    errors.append(b" / ".join(r))
            c.s.sendall(b"RSET\r\n")
            c.reply()
            continue
        c.s.sendall(payload)
        line = c.reply()
        if line.startswith(b"2"):
            ok += 1
        elif line.startswith(b"4"):
            temp += 1
        else:
            other += 1
        if not line.startswith(b"2"):
            with lock:
                if len(errors) < 5:
                    errors.append(line)
    c.s.sendall(b"QUIT\r\n")
    try:
        c.reply()
    except EOFError:
        pass
    c.s.close()
    with lock:
        counts[0] += ok
        counts[1] += temp
        counts[2] += other


def main(argv):
    conns, rcpt = 4, b"support@example.com"
    while argv and argv[0].startswith("--"):
        if argv[0] == "--conns":
            conns = int(argv[1])
        elif argv[0] == "--rcpt":
            rcpt = argv[1].encode()
        else:
            sys.exit(__doc__)
        argv = argv[2:]
    if len(argv) != 2:
        sys.exit(__doc__)
    mails = read_mbox(argv[1])
    counts, errors, lock = [0, 0, 0], [], threading.Lock()
    threads = [threading.Thread(target=worker, args=(argv[0], rcpt, mails[k::conns], counts,
                                                     errors, lock)) for k in range(conns)]
    c0, t0 = time.process_time(), time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    t1, c1 = time.monotonic(), time.process_time()
    for e in errors:
        sys.stderr.write("lmtpsend: %s\n" % e.decode("utf-8", "replace"))
    print("%d %d %d %d %.3f %.3f" % (len(mails), counts[0], counts[1], counts[2], t1 - t0,
                                     c1 - c0))


if __name__ == "__main__":
    main(sys.argv[1:])
