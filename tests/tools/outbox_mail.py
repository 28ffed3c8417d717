#!/usr/bin/python3
"""outbox_mail.py DB PD EVENT: the newest queued mail of EVENT as it is
sent, on stdout (RFC 5322 bytes): the row's rendered bytes, or, for mail
rendered at send time, what `PD outbox show ID` prints."""
import sqlite3, subprocess, sys

db = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
row = db.execute("SELECT id, raw FROM outbox WHERE event = ? ORDER BY id DESC LIMIT 1",
                 (sys.argv[3],)).fetchone()
if row is None:
    sys.exit(1)
oid, raw = row
if raw:
    raw = raw if isinstance(raw, bytes) else raw.encode()
else:
    raw = subprocess.run([sys.argv[2], "outbox", "show", str(oid)], check=True,
                         stdout=subprocess.PIPE).stdout
sys.stdout.buffer.write(raw)
