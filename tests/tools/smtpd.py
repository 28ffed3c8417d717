"""A real SMTP server for the tests (Debian's python3-aiosmtpd).

Usage: /usr/bin/python3 smtpd.py PORT OUTDIR [CERT KEY [USER:PASSWORD]]
With CERT and KEY it offers STARTTLS and requires it; with USER:PASSWORD
it also requires AUTH (PLAIN or LOGIN) and writes "AUTH USER" to the
envelope file.
Each accepted mail is written to OUTDIR/NNNN.eml with its envelope in
OUTDIR/NNNN.env ("MAIL FROM" line, then one "RCPT TO" line each).
Recipients whose local part starts with "reject" get 550 5.1.1,
"defer" 451 4.3.0.  With SMTPD_DEFER_SESSION=N every DATA of the Nth
session gets 451 4.3.0 (its recipients go to OUTDIR/deferred.log).
Listens on 127.0.0.1 only.
"""
import os
import signal
import sys

from aiosmtpd.controller import Controller


class Handler:
    def __init__(self, outdir):
        self.outdir = outdir
        self.n = 0
        self.sessions = 0
        self.defer_session = int(os.environ.get("SMTPD_DEFER_SESSION") or "0")

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@")[0].lower()
        if local.startswith("reject"):
            return "550 5.1.1 <%s>: Recipient address rejected: User unknown" % address
        if local.startswith("defer"):
            return "451 4.3.0 <%s>: try again later" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        # One line per EHLO: the tests count SMTP sessions (a connection
        # is reused for a batch).  STARTTLS makes a second EHLO.
        tls = session.ssl is not None or (
            server.transport is not None and
            server.transport.get_extra_info("ssl_object") is not None)
        with open(os.path.join(self.outdir, "ehlo.log"), "a") as f:
            f.write("%s %s\n" % (hostname, "tls" if tls else "plain"))
        session.host_name = hostname
        if getattr(session, "pd_no", None) is None:
            self.sessions += 1
            session.pd_no = self.sessions
        return responses

    async def handle_DATA(self, server, session, envelope):
        if self.defer_session and getattr(session, "pd_no", 0) == self.defer_session:
            with open(os.path.join(self.outdir, "deferred.log"), "a") as f:
                for r in envelope.rcpt_tos:
                    f.write("%s\n" % r)
            return "451 4.3.0 this session defers every mail"
        self.n += 1
        base = os.path.join(self.outdir, "%04d" % self.n)
        with open(base + ".tmp", "wb") as f:
            f.write(envelope.original_content)
        with open(base + ".env", "w") as f:
            f.write("MAIL FROM %s\n" % envelope.mail_from)
            if session.auth_data is not None:
                f.write("AUTH %s\n" % session.auth_data.login.decode())
            for r in envelope.rcpt_tos:
                f.write("RCPT TO %s\n" % r)
        os.rename(base + ".tmp", base + ".eml")
        return "250 2.0.0 Ok: queued as %04d" % self.n


def main():
    port, outdir = int(sys.argv[1]), sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    kw = {}
    ckw = {}
    if len(sys.argv) >= 5:
        import ssl
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(sys.argv[3], sys.argv[4])
        if os.environ.get("SMTPD_IMPLICIT_TLS"):
            ckw.update(ssl_context=ctx)     # smtps: TLS from the first byte
        else:
            kw.update(tls_context=ctx, require_starttls=True)
    if len(sys.argv) >= 6:
        from aiosmtpd.smtp import AuthResult, LoginPassword
        user, password = sys.argv[5].split(":", 1)

        def check(server, session, envelope, mechanism, auth_data):
            ok = (isinstance(auth_data, LoginPassword) and
                  auth_data.login.decode() == user and
                  auth_data.password.decode() == password)
            return AuthResult(success=ok, handled=False, auth_data=auth_data)
        kw.update(authenticator=check, auth_required=True)
    if ckw:
        kw.update(auth_require_tls=False)   # the session is TLS already
    ctl = Controller(Handler(outdir), hostname="127.0.0.1", port=port,
                     data_size_limit=0, decode_data=False, **ckw, **kw)
    ctl.start()
    signal.sigwait([signal.SIGTERM, signal.SIGINT])
    ctl.stop()


if __name__ == "__main__":
    main()
