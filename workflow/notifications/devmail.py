"""A local SMTP catcher for the quick start: every message lands as a .eml file in a folder.

    python -m workflow.notifications.devmail --port 8025 --dir instance/mail
"""

from __future__ import annotations

import argparse
import email
import email.policy
import time
from pathlib import Path

from aiosmtpd.controller import Controller


class MailFolder:
    def __init__(self, folder: Path):
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        name = f"{stamp}-{time.time_ns() % 10**9:09d}.eml"
        (self.folder / name).write_bytes(envelope.content)
        print(f"[mail] to {', '.join(envelope.rcpt_tos)}: {message['Subject']}  ->  {self.folder / name}",
              flush=True)
        return "250 Message accepted for delivery"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--dir", default="instance/mail")
    args = parser.parse_args()
    controller = Controller(MailFolder(Path(args.dir)), hostname=args.host, port=args.port)
    controller.start()
    print(f"[mail] catching mail on {args.host}:{args.port}, saved in {args.dir}/", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
