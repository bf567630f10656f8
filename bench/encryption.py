"""Private data sealed at rest: what it costs the submission page and the draft save, and `keys rotate` at scale.

    .venv/bin/python bench/encryption.py            # 300 requests per variant; rotation of 100,000 data keys
    .venv/bin/python bench/encryption.py --quick    # 60 requests per variant; rotation of 10,000 data keys
    .venv/bin/python bench/encryption.py --profile  # also: where the sealed page and save spend their time

It prints:
- S1, the submission page (GET /submissions/<id> as its editor) of a story with a realistic amount of private
  data: the pitch's angle, sources and experience, 10 revisions of about 1,500 words with their notes, 30
  messages (10 of them internal notes), 2 attachments, the audit trail and the notifications. Sealed vs the same
  rows with every private column rewritten in the clear (the desk reads a value that does not start with
  ``wf1:`` as it is: the path of data written before encryption). Goal: ratio of medians <= 1.15.
- S2, the draft save (POST /submissions/<id>/draft as the contributor, a body of about 1,500 words and a note):
  sealed vs the same code with the sealing step (``SealedText.seal_pending``) replaced, in this benchmark's
  process only, by storing the plain value. Goal <= 1.15.
  Both on SQLite and on PostgreSQL (a throwaway database on the loopback server, when it is reachable), each
  database in a process of its own; in-process with Flask's test client, the two variants interleaved request by
  request, median and p95 of each. The data keys are warm (the desk keeps an unwrapped key a few minutes).
- R, ``flask --app workflow keys rotate`` (the real command, in its own process) over 100,000 data keys made
  under an older master key in a temporary key store: wall time, keys per second and the process's peak
  resident memory, beside the same command's start-up alone (``keys new-master``) and a second rotation that
  finds nothing to move (reading every key, writing none). The key files are made beforehand with the key
  store's own wrapping but without its fsync per file (setup only); the rotation writes each one as it always
  does (a new file, fsync, rename).

Keys, uploads and the broker's folder are temporary folders of this run (never ``instance/``). Results are also
written as JSON under bench/results/. Not a test: nothing asserts a timing.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORDS = ("the bakery opens before dawn and the queue reaches the corner where the checkpoint used to stand "
         "residents say the flour arrives twice a week from the north by truck and the drivers wait hours at "
         "the crossing while soldiers search the sacks a teacher counts loaves for her pupils and a nurse "
         "buys bread for the night shift at the clinic which has no generator since the last strike").split()


def prose(words: int, seed: int) -> str:
    """``words`` words of plain prose in paragraphs of about 120, different for each seed."""
    import random

    pick = random.Random(seed)
    out, paragraph = [], []
    for n in range(words):
        paragraph.append(pick.choice(WORDS))
        if len(paragraph) >= 120 or n == words - 1:
            out.append(" ".join(paragraph).capitalize() + ".")
            paragraph = []
    return "\n\n".join(out)


def summary(samples: list[float]) -> dict:
    ms = sorted(s * 1000 for s in samples)
    return {"median_ms": statistics.median(ms), "p95_ms": statistics.quantiles(ms, n=20)[18], "n": len(ms)}


# --- S1, S2: one database, in a process of its own ---------------------------------------------------------------

def _story(app, factory, editor, contributor, tag: str) -> int:
    """An assigned story full of private data, made through the real services and committed like requests."""
    from workflow.core import storage
    from workflow.extensions import db
    from workflow.people.models import User
    from workflow.submissions import services
    from workflow.submissions.models import Attachment, Submission

    story = factory.submission(contributor, "assigned", editor=editor, headline=f"Bread under curfew ({tag})",
                               with_draft=False)
    with app.app_context():
        submission = db.session.get(Submission, story.id)
        submission.angle = prose(120, 1)
        submission.sources = prose(80, 2)
        submission.experience = prose(60, 3)
        for n, (name, kind) in enumerate((("notes.txt", "text/plain"), ("interview.txt", "text/plain"))):
            stored = storage.store(prose(400, 10 + n).encode(), kind, owner_id=contributor.id)
            db.session.add(Attachment(submission_id=story.id, uploaded_by_id=contributor.id, filename=name,
                                      content_type=stored.content_type, size=stored.size, sha256=stored.sha256,
                                      storage_key=stored.key, metadata_removed=True))
        db.session.commit()
        writer, desk = db.session.get(User, contributor.id), db.session.get(User, editor.id)
        for n in range(10):
            author = writer if n % 2 == 0 else desk
            services.save_draft(author, db.session.get(Submission, story.id), f"Bread under curfew, take {n + 1}",
                                prose(30, 100 + n), prose(1500, 200 + n), note=prose(25, 300 + n)[:280])
            db.session.commit()
    for n in range(30):
        internal = n % 3 == 2
        factory.message(editor if internal or n % 3 == 0 else contributor, story,
                        f"{prose(80, 400 + n)} [message {n}]", internal=internal)
    return story.id


def _clear_private_columns(app, submission_id: int) -> int:
    """Rewrite every private column of one story's rows in the clear (as before encryption); the rows written."""
    import sqlalchemy as sa

    from workflow.core import sealed
    from workflow.extensions import db
    from workflow.submissions.models import Submission

    rows = 0
    with app.app_context():
        for mapper in db.Model.registry.mappers:
            model = mapper.class_
            attributes = sealed.sealed_attributes(model)
            if not attributes:
                continue
            if model is Submission:
                where = Submission.id == submission_id
            elif "submission_id" in model.__table__.c:
                where = model.__table__.c.submission_id == submission_id
            else:
                continue
            for row in db.session.scalars(sa.select(model).where(where)):
                for attribute in attributes:
                    plain = attribute.__get__(row, model)
                    setattr(row, attribute.column, plain)  # the column itself: no sealing at the flush
                rows += 1
        db.session.commit()
    return rows


def _stored(app, sql: str, **params) -> list:
    import sqlalchemy as sa

    from workflow.extensions import db

    with app.app_context():
        return list(db.session.scalars(sa.text(sql), params))


def _plain_seal_pending(self, session, obj) -> None:
    """``SealedText.seal_pending`` without the sealing: the plain value goes to the column as it is."""
    from workflow.core.sealed import _PENDING

    pending = obj.__dict__.get(_PENDING) or {}
    if self.name in pending:
        setattr(obj, self.column, pending.pop(self.name))


def measure_database(kind: str, requests: int, profile: bool) -> dict:
    from workflow.core.crypto import new_master_key

    work = Path(tempfile.mkdtemp(prefix="wf-bench-encryption-"))
    os.environ.update({
        "WORKFLOW_UPLOAD_DIR": str(work / "uploads"), "WORKFLOW_BROKER_FOLDER": str(work / "broker"),
        "WORKFLOW_KEY_DIR": str(work / "keys"), "WORKFLOW_DATA_KEY": new_master_key(),
        "WORKFLOW_ARGON2_TIME_COST": "1", "WORKFLOW_ARGON2_MEMORY_COST": "8192", "WORKFLOW_LOG_LEVEL": "WARNING",
        "WORKFLOW_REQUIRE_SECOND_FACTOR": "none", "WORKFLOW_RATELIMIT_ENABLED": "false",
    })
    if kind == "sqlite":
        from contextlib import nullcontext

        database = nullcontext(f"sqlite:///{work / 'bench.sqlite'}")
    else:
        from tests.conftest import fresh_postgres_database

        database = fresh_postgres_database()
    try:
        with database as url:
            os.environ["WORKFLOW_DATABASE_URL"] = url
            return _measure(url, kind, requests, profile)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _measure(url: str, kind: str, requests: int, profile: bool) -> dict:
    from flask_migrate import upgrade

    from tests.helpers import CSRF_RE, Factory, signed_in
    from workflow import create_app
    from workflow.core.sealed import SealedText
    from workflow.extensions import db

    app = create_app({"TESTING": True})
    with app.app_context():
        upgrade()
    factory = Factory(app)
    editor, contributor = factory.user("editor"), factory.user("contributor", byline="R. Field")
    sealed_id = _story(app, factory, editor, contributor, "sealed")
    clear_id = _story(app, factory, editor, contributor, "clear")
    cleared = _clear_private_columns(app, clear_id)

    # What each story holds in its columns: sealed values in one, the same text in the clear in the other.
    bodies = "SELECT body FROM messages WHERE submission_id = :s"
    assert all(b.startswith("wf1:") for b in _stored(app, bodies, s=sealed_id)), "story S is not sealed"
    assert not any(b.startswith("wf1:") for b in _stored(app, bodies, s=clear_id)), "story C is not in the clear"
    desk, writer = signed_in(app, editor), signed_in(app, contributor)
    pages = {"sealed": f"/submissions/{sealed_id}", "clear": f"/submissions/{clear_id}"}
    for variant, page in pages.items():
        text = desk.get(page).get_data(as_text=True)
        assert "[message 29]" in text and "[message 0]" in text, f"the {variant} page does not show the messages"

    def get(variant):
        started = time.perf_counter()
        response = desk.http.get(pages[variant])
        took = time.perf_counter() - started
        assert response.status_code == 200, (variant, response.status_code)
        return took

    token = CSRF_RE.search(writer.get(f"/submissions/{sealed_id}/draft").get_data(as_text=True)).group(1)
    original = SealedText.seal_pending
    counter = iter(range(10**9))

    def save(variant):
        n = next(counter)
        story = sealed_id if variant == "sealed" else clear_id
        data = {"csrf_token": token, "headline": f"Bread under curfew, save {n}", "dek": prose(30, 1000 + n),
                "body": prose(1500, 2000 + n), "note": prose(25, 3000 + n)[:280]}
        if variant == "clear":
            SealedText.seal_pending = _plain_seal_pending
        try:
            started = time.perf_counter()
            response = writer.http.post(f"/submissions/{story}/draft", data=data)
            took = time.perf_counter() - started
        finally:
            SealedText.seal_pending = original
        assert response.status_code == 303, (variant, response.status_code, response.get_data(as_text=True)[:500])
        with writer.http.session_transaction() as session:
            session.pop("_flashes", None)  # the page it redirects to would show them; unread, they pile up
        return took

    def interleaved(step, warm: int) -> dict:
        for _ in range(warm):
            step("sealed"), step("clear")
        times = {"sealed": [], "clear": []}
        for n in range(requests):
            order = ("sealed", "clear") if n % 2 == 0 else ("clear", "sealed")
            for variant in order:
                times[variant].append(step(variant))
        return {variant: summary(samples) for variant, samples in times.items()}

    page = interleaved(get, 20)
    profiles = {"page": _profile(lambda: get("sealed"), 100)} if profile else {}
    saves = interleaved(save, 10)
    if profile:
        profiles["save"] = _profile(lambda: save("sealed"), 50)
    latest = ("SELECT body FROM revisions WHERE submission_id = :s AND number = "
              "(SELECT max(number) FROM revisions WHERE submission_id = :s)")
    assert _stored(app, latest, s=sealed_id)[0].startswith("wf1:"), "the sealed save stored its draft in the clear"
    assert not _stored(app, latest, s=clear_id)[0].startswith("wf1:"), "the plain save sealed its draft"
    result = {"database": kind, "requests": requests, "rows_cleared": cleared, "page": page, "save": saves}
    if profile:
        result["profile"] = profiles
    with app.app_context():
        db.engine.dispose()
    return result


def _profile(step, times: int) -> str:
    import cProfile
    import io
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(times):
        step()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
    stats.print_stats(r"core/(crypto|sealed)|sealed_owner_id|contributor_of|aead|base64", 18)
    return out.getvalue()


# --- R: `keys rotate` over many data keys --------------------------------------------------------------------------

def make_keys(folder: Path, master: str, count: int, samples: int = 100) -> dict[bytes, bytes]:
    """``count`` data keys wrapped by ``master``, written as the key store writes them (its own ``_wrap`` and file
    format), without the fsync per file; a few of them kept, to check they still open after the rotation."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from workflow.core.crypto import KEY_ID_BYTES, KeyStore, MasterKeys, _decode_master

    store = KeyStore(folder, MasterKeys(_decode_master(master, "the bench's master key")))
    folder.mkdir(parents=True, exist_ok=True)
    kept = {}
    for n in range(count):
        key_id, key = secrets.token_bytes(KEY_ID_BYTES), AESGCM.generate_key(bit_length=256)
        (folder / f"{key_id.hex()}.key").write_text(json.dumps(store._wrap(key_id, key)))
        if n < samples:
            kept[key_id] = key
    return kept


def run_command(args: list[str], env: dict) -> dict:
    """Run a command; its wall time, exit status, last line of output and peak resident memory (its own)."""
    started = time.perf_counter()
    process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    output = process.stdout.read()
    _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({process.returncode}): {output[-500:]}")
    return {"seconds": seconds, "peak_rss_mib": usage.ru_maxrss / 1024, "output": output.strip().splitlines()[-1]}


def rotation(count: int) -> dict:
    from workflow.core.crypto import KeyStore, MasterKeys, _decode_master, master_id, new_master_key

    work = Path(tempfile.mkdtemp(prefix="wf-bench-rotate-"))
    folder = work / "keys"
    old, new = new_master_key(), new_master_key()
    try:
        started = time.perf_counter()
        kept = make_keys(folder, old, count)
        made = time.perf_counter() - started
        env = {k: v for k, v in os.environ.items() if not k.startswith("WORKFLOW_")}
        env.update({"WORKFLOW_DATABASE_URL": f"sqlite:///{work / 'bench.sqlite'}", "WORKFLOW_KEY_DIR": str(folder),
                    "WORKFLOW_UPLOAD_DIR": str(work / "uploads"), "WORKFLOW_BROKER_FOLDER": str(work / "broker"),
                    "WORKFLOW_DATA_KEY": new, "WORKFLOW_DATA_KEYS_RETIRED": old, "WORKFLOW_LOG_LEVEL": "WARNING"})
        flask = [sys.executable, "-m", "flask", "--app", "workflow"]
        rotate = run_command([*flask, "keys", "rotate"], env)
        again = run_command([*flask, "keys", "rotate"], env)
        start_up = run_command([*flask, "keys", "new-master"], env)  # last: its imports as warm as theirs
        # Every key file now names the new master key, and the kept keys open with it alone.
        masters: dict[str, int] = {}
        for path in folder.glob("*.key"):
            master = json.loads(path.read_bytes())["master"]
            masters[master] = masters.get(master, 0) + 1
        new_store = KeyStore(folder, MasterKeys(_decode_master(new, "the new master key")))
        if masters != {master_id(_decode_master(new, "")): count}:
            raise RuntimeError(f"after the rotation the key files name these master keys: {masters}")
        if any(new_store.get(key_id) != key for key_id, key in kept.items()):
            raise RuntimeError("a data key does not open with the new master key after the rotation")
        return {"keys": count, "setup_seconds": made, "start_up": start_up, "rotate": rotate, "again": again,
                "checked": f"all {count:,} key files name the new master key; {len(kept)} keys compared"}
    finally:
        shutil.rmtree(work, ignore_errors=True)


# --- the report ------------------------------------------------------------------------------------------------------

def postgres_reachable() -> bool:
    from bench.common import postgres_reachable as reachable

    return reachable(os.environ.get("WORKFLOW_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="60 requests per variant, 10,000 keys")
    parser.add_argument("--requests", type=int, help="requests per variant (default 300, or 60 with --quick)")
    parser.add_argument("--keys", type=int, help="data keys to rotate (default 100,000, or 10,000 with --quick)")
    parser.add_argument("--profile", action="store_true", help="print where the sealed page and save spend time")
    parser.add_argument("--only", choices=["requests", "rotate"], help="one part only")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # a database's part, in a process of its own
    args = parser.parse_args()
    requests = args.requests or (60 if args.quick else 300)
    if args.one:
        print(json.dumps(measure_database(args.one, requests, args.profile)))
        return
    keys = args.keys or (10_000 if args.quick else 100_000)
    print(f"command: .venv/bin/python bench/encryption.py {' '.join(sys.argv[1:])}".rstrip(), flush=True)
    rows, databases, rotated = [], [], None
    if args.only in (None, "requests"):
        kinds = ["sqlite", *(["postgresql"] if postgres_reachable() else [])]
        if len(kinds) == 1:
            print("PostgreSQL is not reachable: SQLite only", flush=True)
        for kind in kinds:
            command = [sys.executable, __file__, "--one", kind, "--requests", str(requests)]
            if args.profile:
                command.append("--profile")
            done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
            if done.returncode != 0:
                sys.exit(f"the {kind} part failed:\n{done.stderr[-3000:]}")
            result = json.loads(done.stdout.strip().splitlines()[-1])
            databases.append(result)
            print(f"\n{kind}: {requests} requests per variant, interleaved (after a warm-up); "
                  f"{result['rows_cleared']} rows rewritten in the clear for the baseline", flush=True)
            print(f"{'':4} {'what':<44} {'sealed median/p95':>20} {'clear median/p95':>20} {'ratio':>6}  goal")
            for key, part, what in (("S1", "page", "submission page, editor (GET)"),
                                    ("S2", "save", "draft save, contributor (POST)")):
                s, c = result[part]["sealed"], result[part]["clear"]
                ratio = s["median_ms"] / c["median_ms"]
                rows.append([f"{key}-{kind}", what, s, c, ratio, ratio <= 1.15])
                print(f"{key:<4} {what:<44} {s['median_ms']:>9.2f} /{s['p95_ms']:>6.2f} ms "
                      f"{c['median_ms']:>9.2f} /{c['p95_ms']:>6.2f} ms {ratio:>6.3f}  <= 1.15 "
                      f"{'met' if ratio <= 1.15 else 'NOT met'}", flush=True)
            for part, text in result.get("profile", {}).items():
                print(f"\n--- profile of the sealed {part} ({kind}) ---\n{text}")
    if args.only in (None, "rotate"):
        print(f"\nR: flask --app workflow keys rotate over {keys:,} data keys (temporary key store) ...", flush=True)
        rotated = rotation(keys)
        r, a, s = rotated["rotate"], rotated["again"], rotated["start_up"]
        print(f"  setup (key files written without fsync): {rotated['setup_seconds']:.1f} s")
        print(f"  keys rotate:                 {r['seconds']:>7.1f} s  {keys / r['seconds']:>8,.0f} keys/s  "
              f"peak RSS {r['peak_rss_mib']:.0f} MiB   ({r['output'][:60]}…)")
        print(f"  keys rotate, nothing to move:{a['seconds']:>7.1f} s  {keys / a['seconds']:>8,.0f} keys/s  "
              f"peak RSS {a['peak_rss_mib']:.0f} MiB")
        print(f"  start-up alone (keys new-master): {s['seconds']:.1f} s, peak RSS {s['peak_rss_mib']:.0f} MiB")
        print(f"  checked: {rotated['checked']}")
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    out = results / f"encryption-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps({"command": sys.argv, "requests": requests, "rows": rows, "databases": databases,
                               "rotation": rotated}, indent=2, default=str))
    print(f"\nwritten: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
