#!/usr/bin/python3
"""A real SMTP server for the alert tests (aiosmtpd).

Writes each received message into --dir as <n>.eml and its envelope as
<n>.json ({"mail_from": ..., "rcpt_tos": [...]}), prints "READY <port>" on
stdout once it accepts connections, and runs until stdin closes or it is
killed.

Options: --port (0, the default: the kernel picks a port, bound before it is
reported), --starttls CERT KEY (offer STARTTLS and
require it), --tls CERT KEY (implicit TLS), --auth USER PASSWORD (require
AUTH PLAIN or LOGIN; --auth-exclude PLAIN offers LOGIN only), --reject-rcpt PREFIX (550 for recipients starting with
PREFIX), --tempfail-rcpt PREFIX (451 for them).
"""
import argparse
import json
import logging
import os
import socket
import ssl
import sys
import threading
import warnings

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Handler:
    def __init__(self, folder, reject, tempfail):
        self.folder = folder
        self.reject = reject
        self.tempfail = tempfail
        self.count = 0
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.reject and address.startswith(self.reject):
            return "550 5.1.1 <%s>: Recipient address rejected" % address
        if self.tempfail and address.startswith(self.tempfail):
            return "451 4.3.0 <%s>: Temporary local problem" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            n = self.count
        base = os.path.join(self.folder, "%d" % n)
        with open(base + ".tmp", "wb") as f:
            f.write(envelope.original_content)
        with open(base + ".json.tmp", "w") as f:
            json.dump({"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos}, f)
        os.rename(base + ".json.tmp", base + ".json")
        os.rename(base + ".tmp", base + ".eml")
        return "250 2.0.0 Message accepted for delivery"


class BoundController(Controller):
    """A Controller serving a socket bound before it starts: with port 0 the
    kernel picks the port and nobody else can take it in between (no
    find-a-free-port-then-bind race under ctest -j)."""

    def __init__(self, handler, sock, **kwargs):
        super().__init__(handler, hostname="127.0.0.1", port=sock.getsockname()[1], **kwargs)
        self._sock = sock

    def _create_server(self):
        return self.loop.create_server(self._factory_invoker, sock=self._sock, ssl=self.ssl_context)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--dir", required=True)
    p.add_argument("--starttls", nargs=2, metavar=("CERT", "KEY"))
    p.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    p.add_argument("--auth", nargs=2, metavar=("USER", "PASSWORD"))
    p.add_argument("--auth-exclude", action="append", default=[],
                   help="a mechanism (PLAIN, LOGIN) not to offer")
    p.add_argument("--reject-rcpt")
    p.add_argument("--tempfail-rcpt")
    a = p.parse_args()

    kwargs = {}
    if a.starttls:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.starttls[0], a.starttls[1])
        kwargs.update(tls_context=ctx, require_starttls=True)
    server_ssl = None
    if a.tls:
        server_ssl = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server_ssl.load_cert_chain(a.tls[0], a.tls[1])
    if a.auth:
        user, password = a.auth[0].encode(), a.auth[1].encode()

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (isinstance(auth_data, LoginPassword) and auth_data.login == user
                  and auth_data.password == password)
            return AuthResult(success=ok, handled=False)

        kwargs.update(authenticator=authenticator, auth_required=True,
                      auth_exclude_mechanism=a.auth_exclude,
                      auth_require_tls=bool(a.starttls or a.tls))

    # Failed TLS handshakes are part of the tests; keep their tracebacks quiet.
    logging.getLogger("mail.log").setLevel(logging.CRITICAL)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", a.port))
    sock.listen(64)
    port = sock.getsockname()[1]
    controller = BoundController(Handler(a.dir, a.reject_rcpt, a.tempfail_rcpt), sock,
                                 ssl_context=server_ssl, server_hostname="arsync-test", **kwargs)
    controller.start()
    print("READY %d" % port, flush=True)
    try:
        sys.stdin.read()  # the test closes our stdin (or kills us) to stop
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
