#!/usr/bin/python3
"""lmtpc.py ADDRESS: a raw LMTP conversation for tests.  ADDRESS is a
unix socket path or HOST:PORT.  After the greeting (printed; a 421 ends
it), standard input is sent as it is, all at once (a pipelining client), with LF made CR LF; then every reply line is
printed until the server closes the connection.  --hold N: send nothing,
print the greeting, keep the connection open N seconds."""
import socket, sys, time

def connect(addr):
    if addr.startswith("/"):
        s = socket.socket(socket.AF_UNIX)
        s.connect(addr)
    else:
        host, port = addr.rsplit(":", 1)
        s = socket.create_connection((host, int(port)))
    s.settimeout(30)
    return s

def main():
    args = sys.argv[1:]
    hold = None
    if args[0] == "--hold":
        hold = float(args[1])
        args = args[2:]
    s = connect(args[0])
    if hold is not None:
        sys.stdout.write(s.recv(512).decode("utf-8", "replace").replace("\r\n", "\n"))
        sys.stdout.flush()
        time.sleep(hold)
        return
    # The greeting first: a server that turns us away closes at once.
    greeting = s.recv(512)
    sys.stdout.write(greeting.decode("utf-8", "replace").replace("\r\n", "\n"))
    if greeting.startswith(b"421"):
        return
    data = sys.stdin.buffer.read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    s.sendall(data)
    buf = b""
    while True:
        try:
            chunk = s.recv(65536)
        except (ConnectionResetError, socket.timeout):
            break
        if not chunk:
            break
        buf += chunk
    sys.stdout.write(buf.decode("utf-8", "replace").replace("\r\n", "\n"))

main()
