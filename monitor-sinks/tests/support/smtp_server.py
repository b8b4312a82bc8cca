"""A real SMTP server on loopback for the delivery tests (aiosmtpd).

Prints the port it listens on, then stores every accepted message in the
output directory as NNNN.eml with NNNN.json (its envelope, the TLS
version of its session, null when it came in the clear, and its text
parts decoded, by content type). Every DATA
command is counted in attempts.log, including refused ones. Exits when its
standard input closes, so a test that dies takes it along.

With --tls starttls it offers STARTTLS and refuses mail before it; with
--tls implicit it speaks TLS from the first byte. Both need --cert and
--key (PEM files).

  python3 smtp_server.py OUTDIR [--fail-first N] [--fail-code "451 4.3.0 busy"] [--always "554 5.6.0 no"]
                                [--tls starttls|implicit --cert CERT.pem --key KEY.pem]
"""

import argparse
import email
import email.policy
import asyncio
import json
import os
import ssl
import sys
import threading

from aiosmtpd.smtp import SMTP


class Handler:
    def __init__(self, out, fail_first, fail_code, always):
        self.out = out
        self.fail_first = fail_first
        self.fail_code = fail_code
        self.always = always
        self.attempts = 0

    async def handle_DATA(self, server, session, envelope):
        self.attempts += 1
        with open(os.path.join(self.out, "attempts.log"), "a") as log:
            log.write(f"{self.attempts}\n")
        if self.always:
            return self.always
        if self.attempts <= self.fail_first:
            return self.fail_code
        stem = os.path.join(self.out, f"{self.attempts:04d}")
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8")
        with open(stem + ".json", "w") as meta:
            json.dump({
                "from": envelope.mail_from,
                "to": envelope.rcpt_tos,
                "tls": tls_version(server, session),
                "parts": text_parts(content),
            }, meta)
        with open(stem + ".tmp", "wb") as message:
            message.write(content)
        os.rename(stem + ".tmp", stem + ".eml")
        return "250 2.0.0 OK"


def text_parts(content):
    """The message's text parts, decoded (quoted-printable, base64), by
    content type, as a reader's mail program shows them."""
    message = email.message_from_bytes(content, policy=email.policy.default)
    return {
        part.get_content_type(): part.get_content()
        for part in message.walk()
        if part.get_content_maintype() == "text"
    }


def tls_version(server, session):
    """The session's TLS version, or None in the clear. aiosmtpd sets
    session.ssl after STARTTLS only; with implicit TLS the transport itself
    carries the TLS object."""
    ssl_object = server.transport.get_extra_info("ssl_object") if server.transport else None
    if ssl_object is not None:
        return ssl_object.version()
    return "unknown" if session.ssl is not None else None


def exit_when_stdin_closes():
    sys.stdin.read()
    os._exit(0)


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--fail-first", type=int, default=0)
    parser.add_argument("--fail-code", default="451 4.3.0 Try again later")
    parser.add_argument("--always", default="")
    parser.add_argument("--tls", choices=["starttls", "implicit"])
    parser.add_argument("--cert")
    parser.add_argument("--key")
    args = parser.parse_args()
    handler = Handler(args.out, args.fail_first, args.fail_code, args.always)
    context = None
    if args.tls:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.cert, args.key)
    if args.tls == "starttls":
        factory = lambda: SMTP(handler, tls_context=context, require_starttls=True)
    else:
        factory = lambda: SMTP(handler)
    implicit = context if args.tls == "implicit" else None
    loop = asyncio.get_running_loop()
    server = await loop.create_server(factory, "127.0.0.1", 0, ssl=implicit)
    print(server.sockets[0].getsockname()[1], flush=True)
    threading.Thread(target=exit_when_stdin_closes, daemon=True).start()
    await asyncio.Event().wait()


asyncio.run(main())
