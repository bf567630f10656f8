"""P7's load, in a process of its own: editors moving stories back and forth, all at once.

    python bench/transitions_load.py http://127.0.0.1:8000 --seconds 15 \\
        --editor editor1@bench.example.org:101,102,103 --editor editor2@bench.example.org:104,105,106 ...

Each editor (a thread with its own session) signs in, reads each of its stories' pages once for the form's
token and version, then, for ``--seconds``, POSTs transitions only: "Mark edited" on an assigned story,
"Needs revision" on an edited one, keeping the version itself (each transition adds one). A 409 (which
should not happen: nobody else touches these stories) reads the page again. Prints JSON: the POSTs made, the
answers by status, and each story's successful transitions, for run.py to check against the audit trail.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.helpers import CSRF_RE  # noqa: E402
from tests.processes import LiveClient  # noqa: E402

PASSWORD = "bench-password-2026"
VERSION_RE = re.compile(r'name="version" type="hidden" value="(\d+)"')
STATE_RE = re.compile(r'name="action" type="hidden" value="(mark_edited|request_revision)"')


def editor_run(base_url: str, email: str, story_ids: list[int], seconds: float, start: threading.Barrier,
               results: dict) -> None:
    client = LiveClient(base_url)
    client.login(email, PASSWORD)
    known = {}

    def read(story: int) -> None:
        page = client.get(f"/submissions/{story}")
        action = STATE_RE.search(page)
        known[story] = {"version": int(VERSION_RE.search(page).group(1)), "token": CSRF_RE.search(page).group(1),
                        "action": action.group(1) if action else None}

    for story in story_ids:
        read(story)
    statuses, done = Counter(), Counter()
    start.wait()
    deadline = time.perf_counter() + seconds
    n = 0
    while time.perf_counter() < deadline:
        story = story_ids[n % len(story_ids)]
        n += 1
        state = known[story]
        if state["action"] is None:
            continue
        data = {"action": state["action"], "version": state["version"], "csrf_token": state["token"]}
        if state["action"] == "request_revision":
            data["comment"] = "Tighten the top, please."
        status, _, _ = client.request(f"/submissions/{story}/transition", data)
        statuses[status] += 1
        if status == 303:
            done[story] += 1
            state["version"] += 1
            state["action"] = "request_revision" if state["action"] == "mark_edited" else "mark_edited"
        else:
            read(story)
    results[email] = {"statuses": statuses, "done": done}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base_url")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--editor", action="append", required=True, help="email:id,id,...")
    args = parser.parse_args()
    plan = [(spec.split(":")[0], [int(i) for i in spec.split(":")[1].split(",")]) for spec in args.editor]
    results: dict = {}
    start = threading.Barrier(len(plan) + 1)
    threads = [threading.Thread(target=editor_run, args=(args.base_url, email, ids, args.seconds, start, results))
               for email, ids in plan]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    statuses, done = Counter(), Counter()
    for result in results.values():
        statuses.update(result["statuses"])
        done.update(result["done"])
    print(json.dumps({"seconds": elapsed, "posts": sum(statuses.values()),
                      "statuses": {str(k): v for k, v in statuses.items()},
                      "done": {str(k): v for k, v in done.items()}, "editors": len(results)}))


if __name__ == "__main__":
    main()
