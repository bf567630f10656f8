"""``make run``: the web app, a real Celery worker and a mail catcher, with no server to install.

Data lives in ``instance/workflow.sqlite``, the broker is a folder (``instance/broker``), and every email
lands in ``instance/mail/`` as a ``.eml`` file.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from workflow import ROOT
from workflow.demo.seed import DEMO_PASSWORD, LANGUAGES, PEOPLE

HOST = os.environ.get("WORKFLOW_HOST", "127.0.0.1")
PORT = int(os.environ.get("WORKFLOW_PORT", "5000"))


def main() -> int:
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "WORKFLOW_BASE_URL": os.environ.get("WORKFLOW_BASE_URL", f"http://{HOST}:{PORT}")}
    mail_dir = Path(os.environ.get("WORKFLOW_MAIL_DIR") or ROOT / "instance" / "mail")
    commands = {
        "mail": [sys.executable, "-m", "workflow.notifications.devmail", "--port",
                 env.get("WORKFLOW_SMTP_PORT", "8025"), "--dir", str(mail_dir)],
        # -B runs beat inside the worker: the outbox sweeper works in the quick start too.
        "worker": [str(bin_dir / "celery"), "-A", "celery_worker", "worker", "-B", "--loglevel", "INFO",
                   "--concurrency", "2"],
        "web": [str(bin_dir / "flask"), "--app", "workflow", "run", "--host", HOST, "--port", str(PORT)],
    }
    processes = {name: subprocess.Popen(cmd, cwd=ROOT, env=env) for name, cmd in commands.items()}
    time.sleep(2)
    width = max(len(email) for email, *_ in PEOPLE)
    print(f"""
  The desk is running at  http://{HOST}:{PORT}/
  Mail is caught in       {mail_dir}/  (one .eml file per message)
  Private data is sealed  with the master key in instance/data-key (made for the quick start;
                          in production set WORKFLOW_DATA_KEY, see README "Keys and how they are kept")

  Demo sign-ins (password for all: {DEMO_PASSWORD}):""")
    for email, name, _, role in PEOPLE:
        language = f"  (reads the desk in {LANGUAGES[email][0]}, {LANGUAGES[email][1]})" if email in LANGUAGES else ""
        print(f"    {email:<{width}}  {role.value:<12} {name}{language}")
    print("\n  The desk speaks English and Arabic: the العربية link at the top of every page switches it.")
    staff = next(email for email, _, _, role in PEOPLE if role.is_staff)
    print(f"""
  Editors and admins sign in with a second step: a code from an authenticator app. The demo's
  come with one; the code it shows now (development only):
    {os.path.relpath(bin_dir / 'flask', ROOT)} --app workflow users code {staff}""")
    print("\n  Press Ctrl-C to stop.\n", flush=True)

    def stop(*_):
        for process in processes.values():
            if process.poll() is None:
                process.terminate()
        for process in processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()

    signal.signal(signal.SIGTERM, lambda *_: (stop(), sys.exit(0)))
    try:
        while all(p.poll() is None for p in processes.values()):
            time.sleep(0.5)
        failed = [name for name, p in processes.items() if p.poll() is not None]
        print(f"Stopped because {', '.join(failed)} exited.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stop()


if __name__ == "__main__":
    sys.exit(main())
