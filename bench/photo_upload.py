"""What a story photo costs the web request, before and after the worker took the decoding over.

    .venv/bin/python bench/photo_upload.py

The issue's photo: a 38.9-megapixel PNG (7200 × 5400, black) of about 120 KB. Each variant runs in a process of
its own, so that its peak memory (``ru_maxrss``) is its own: ``before`` is what the upload request used to do
(``images.process``: decode, turn upright, re-encode at four widths; now the worker's part), ``after`` what it
does now (``images.check``: the header alone). Prints the median of 3 runs of each, and the peak memory above
the process's own at the start. Not a test: nothing asserts a timing.
"""

from __future__ import annotations

import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _measure(variant: str) -> dict:
    import os

    os.environ["WORKFLOW_DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite"
    os.environ["WORKFLOW_UPLOAD_DIR"] = tempfile.mkdtemp()
    os.environ["WORKFLOW_BROKER_FOLDER"] = tempfile.mkdtemp()
    from tests.helpers import large_png
    from workflow import create_app
    from workflow.articles import images

    png = large_png()
    app = create_app()
    with app.app_context():
        start_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        if variant == "before":
            result = images.process("wide.png", png)
            outcome = f"{len(result.files)} copies, largest {result.width} x {result.height}"
        else:
            result = images.check("wide.png", png)
            outcome = f"checked: {result.width} x {result.height}, {result.content_type}"
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"variant": variant, "bytes": len(png), "seconds": seconds, "peak_mb": (peak - start_rss) / 1024,
            "outcome": outcome}


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        print(json.dumps(_measure(sys.argv[2])))
        return
    rows = []
    for variant in ("before", "after"):
        runs = [json.loads(subprocess.run([sys.executable, __file__, "--one", variant], check=True,
                                          capture_output=True, text=True, cwd=ROOT).stdout.strip().splitlines()[-1])
                for _ in range(3)]
        rows.append((variant, runs))
    size = rows[0][1][0]["bytes"]
    print(f"command: {sys.executable} bench/photo_upload.py  (3 runs per variant, each in its own process)")
    print(f"photo: 7200 x 5400 PNG (38.9 megapixels), {size / 1024:.0f} KB")
    print(f"{'variant':<34} {'median time':>12} {'peak memory above start':>25}")
    for variant, runs in rows:
        what = {"before": "before: decoded in the request", "after": "after: header only in the request"}[variant]
        print(f"{what:<34} {statistics.median(r['seconds'] for r in runs) * 1000:>9.1f} ms "
              f"{statistics.median(r['peak_mb'] for r in runs):>22.1f} MB   ({runs[0]['outcome']})")


if __name__ == "__main__":
    main()
