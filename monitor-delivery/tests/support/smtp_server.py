"""A real SMTP server on loopback for the delivery tests (aiosmtpd).

Prints the port it listens on, then stores every accepted message in the
output directory as NNNN.eml with NNNN.json (its envelope). Every DATA
command is counted in attempts.log, including refused ones. Exits when its
standard input closes, so a test that dies takes it along.

  python3 smtp_server.py OUTDIR [--fail-first N] [--fail-code "451 4.3.0 busy"] [--always "554 5.6.0 no"]
"""

import argparse
import asyncio
import json
import os
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
        with open(stem + ".json", "w") as meta:
            json.dump({"from": envelope.mail_from, "to": envelope.rcpt_tos}, meta)
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8")
        with open(stem + ".tmp", "wb") as message:
            message.write(content)
        os.rename(stem + ".tmp", stem + ".eml")
        return "250 2.0.0 OK"


def exit_when_stdin_closes():
    sys.stdin.read()
    os._exit(0)


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--fail-first", type=int, default=0)
    parser.add_argument("--fail-code", default="451 4.3.0 Try again later")
    parser.add_argument("--always", default="")
    args = parser.parse_args()
    handler = Handler(args.out, args.fail_first, args.fail_code, args.always)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(handler), "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    threading.Thread(target=exit_when_stdin_closes, daemon=True).start()
    await asyncio.Event().wait()


asyncio.run(main())
