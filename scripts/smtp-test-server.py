#!/usr/bin/env python3
"""A real SMTP server for the notification tests (aiosmtpd, from .build-smtp/venv).

    smtp-test-server.py OUTDIR

Listens on 127.0.0.1 on a free port and prints that port on the first line of stdout. Every message
received is written to OUTDIR/NNNN.json: {"from", "to", "data" (the message as received, after
dot-unstuffing), "login" (the AUTH user, or null)}. AUTH PLAIN/LOGIN accepts user "itops" with
password "smtp-password-1" (over plain text: this is a loopback test server). Runs until killed.
"""
import json
import os
import signal
import socket
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

OUTDIR = sys.argv[1]
# A parent may have blocked SIGTERM (and the mask is inherited): let a plain kill stop this server.
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})


class Handler:
    async def handle_DATA(self, server, session, envelope):
        count = len([name for name in os.listdir(OUTDIR) if name.endswith(".json")])
        path = os.path.join(OUTDIR, "%04d" % count)
        auth = getattr(session, "auth_data", None)
        login = auth.login.decode() if isinstance(auth, LoginPassword) else None
        record = {
            "from": envelope.mail_from,
            "to": envelope.rcpt_tos,
            "data": envelope.original_content.decode("utf-8", "replace"),
            "login": login,
        }
        with open(path + ".tmp", "w") as handle:
            json.dump(record, handle)
        os.rename(path + ".tmp", path + ".json")
        return "250 Message accepted for delivery"


def authenticate(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"itops" and auth_data.password == b"smtp-password-1"
    return AuthResult(success=ok, handled=False, auth_data=auth_data)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


port = free_port()
controller = Controller(
    Handler(), hostname="127.0.0.1", port=port, authenticator=authenticate, auth_require_tls=False,
    auth_required=False,
)
controller.start()
print(port, flush=True)
try:
    while True:
        time.sleep(3600)
finally:
    controller.stop()
