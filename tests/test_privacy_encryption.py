"""Private data at rest: a contributor's private text and files are sealed with their data key, so that a copy
of the database, of its files or of the uploads tells nothing; the key store's keys can be re-wrapped under a
new master key; and deleting an account destroys its key, so that even a dump taken before cannot be read."""

from __future__ import annotations

import io
import logging
import re
import subprocess
from pathlib import Path

import pikepdf
import pytest
import sqlalchemy as sa

from tests.helpers import PASSWORD, act, in_days, signed_in, text_of, valid_pitch
from workflow.core import crypto, storage
from workflow.core.crypto import new_master_key
from workflow.extensions import db

CANARY = "CANARY-b7e1"  # every private value written below carries it; nothing at rest may


def _pdf_saying(text: str) -> bytes:
    """A one-page PDF whose page says ``text`` in an uncompressed content stream."""
    pdf = pikepdf.new()
    page = pdf.add_blank_page()
    page.obj["/Contents"] = pdf.make_stream(f"BT /F1 12 Tf 10 10 Td ({text}) Tj ET".encode())
    out = io.BytesIO()
    pdf.save(out, compress_streams=False)
    return out.getvalue()


def _story_with_canaries(app, factory, worker) -> dict:
    """Through the pages: a pitch, its attachment, messages both ways, an internal note, a draft with its note,
    and a comment on a move, each with the canary. Returns who and what."""
    editor = factory.user("editor", name="Dana Desk")
    reporter = factory.user(name="Rana Field")
    client = signed_in(app, reporter)
    pdf = _pdf_saying(f"{CANARY} attachment text")
    response = client.post("/pitch", {**valid_pitch(angle=f"{CANARY} angle", sources=f"{CANARY} sources",
                                                     experience=f"{CANARY} experience"),
                                      "attachments": [(io.BytesIO(pdf), f"{CANARY} interview.pdf")]},
                           page="/pitch", content_type="multipart/form-data")
    assert response.status_code == 303, text_of(response)
    story = int(response.headers["Location"].rsplit("/", 1)[1])
    page = f"/submissions/{story}"
    desk = signed_in(app, editor)
    assert client.post(f"{page}/messages", {"body": f"{CANARY} message from the reporter"},
                       page=page).status_code == 303
    assert desk.post(f"{page}/messages", {"body": f"{CANARY} internal note", "internal": "y"},
                     page=page).status_code == 303
    assert desk.post(f"{page}/messages", {"body": f"{CANARY} message from the desk"}, page=page).status_code == 303
    assigned = act(desk, story, "assign", editor_id=str(editor.id), deadline=in_days(14), assigned_words="900",
                   fee="100", comment=f"{CANARY} assignment comment")
    assert assigned.status_code == 303, text_of(assigned)
    saved = client.post(f"{page}/draft", {"version": "", "headline": f"{CANARY} draft headline",
                                          "dek": f"{CANARY} draft dek", "body": f"{CANARY} draft body",
                                          "note": f"{CANARY} draft note"}, page=f"{page}/draft")
    assert saved.status_code == 303, text_of(saved)
    return {"editor": editor, "reporter": reporter, "story": story, "desk": desk, "client": client}


def _shown_to_the_desk(desk, story: int) -> str:
    """What the editor's pages show: the private text, opened (so that its absence at rest means something)."""
    page = text_of(desk.get(f"/submissions/{story}"))
    return page + text_of(desk.get(f"/submissions/{story}/draft"))


def _database_bytes(app, database_url: str, tmp_path: Path) -> bytes:
    """The database as a thief would take it: pg_dump of PostgreSQL; SQLite's file with its -wal and -shm."""
    with app.app_context():
        db.session.remove()
    if database_url.startswith("sqlite"):
        path = Path(database_url.removeprefix("sqlite:///"))
        return b"".join(Path(f"{path}{suffix}").read_bytes() for suffix in ("", "-wal", "-shm")
                        if Path(f"{path}{suffix}").exists())
    url = sa.engine.make_url(database_url)
    dump = subprocess.run(["pg_dump", "-h", url.host or "127.0.0.1", "-p", str(url.port or 5432), "-U",
                           url.username or "postgres", url.database], capture_output=True, check=True)
    return dump.stdout


def _files_under(folder: str) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(Path(folder).rglob("*")) if path.is_file())


def _assert_no_canary_at_rest(app, database_url, tmp_path, worker, caplog, story: int) -> None:
    stored = _database_bytes(app, database_url, tmp_path)
    assert b"wf1:" in stored  # the private values are there, sealed
    assert CANARY.encode() not in stored
    uploads = _files_under(app.config["UPLOAD_DIR"])
    assert uploads and CANARY.encode() not in uploads
    with app.app_context():  # the story's file is sealed: not a PDF to anyone who copies the folder
        keys = db.session.execute(sa.text("SELECT storage_key FROM attachments WHERE submission_id = :id"),
                                  {"id": story}).scalars().all()
        files = [storage.path_for(key).read_bytes() for key in keys]
        db.session.remove()
    assert files and all(data.startswith(b"WFE1") and b"%PDF" not in data for data in files)
    assert CANARY.encode() not in _files_under(app.config["KEY_DIR"])
    ours = [caplog.handler.format(r) for r in caplog.records if not r.name.startswith("mail.log")]  # not the
    # test's own mail server, which logs what it receives
    assert any("revision" in line for line in ours)  # the desk's lines were captured
    assert CANARY not in "\n".join(ours) + Path(worker.log_path).read_text(errors="replace")


def test_private_text_and_files_are_nowhere_in_the_clear_at_rest(app, database_url, factory, worker, caplog,
                                                                  tmp_path):
    caplog.set_level(logging.DEBUG)
    made = _story_with_canaries(app, factory, worker)
    shown = _shown_to_the_desk(made["desk"], made["story"])
    for field in ("angle", "sources", "experience", "message from the reporter", "internal note",
                  "message from the desk", "assignment comment", "draft body", "draft dek", "interview.pdf"):
        assert f"{CANARY} {field}" in shown, field
    download_page = made["desk"].get(f"/submissions/{made['story']}")
    link = re.search(rf'href="(/submissions/{made["story"]}/attachments/\d+)"', download_page.get_data(as_text=True))
    with pikepdf.open(io.BytesIO(made["desk"].get(link.group(1)).data)) as pdf:  # opened for the desk
        assert CANARY.encode() in pdf.pages[0].obj["/Contents"].read_bytes()
    _assert_no_canary_at_rest(app, database_url, tmp_path, worker, caplog, made["story"])


def test_keys_rotate_moves_every_data_key_to_the_new_master_key_and_the_data_stays_readable(
        app, another_app, database_url, factory, worker, caplog, tmp_path):
    caplog.set_level(logging.DEBUG)
    made = _story_with_canaries(app, factory, worker)
    old, new = app.config["DATA_KEY"], new_master_key()
    before = {path.name: path.read_bytes() for path in Path(app.config["KEY_DIR"]).glob("*.key")}
    assert before

    rotating = another_app({"DATA_KEY": new, "DATA_KEYS_RETIRED": old})
    result = rotating.test_cli_runner().invoke(args=["keys", "rotate", "--quiet"])
    assert result.exit_code == 0, result.output
    assert f"{len(before)} data key" in result.output and "re-wrapped" in result.output
    after = {path.name: path.read_bytes() for path in Path(app.config["KEY_DIR"]).glob("*.key")}
    assert after.keys() == before.keys() and all(after[name] != before[name] for name in before)
    _assert_no_canary_at_rest(app, database_url, tmp_path, worker, caplog, made["story"])

    only_new = another_app({"DATA_KEY": new})  # the old master key is gone: the data opens all the same
    assert f"{CANARY} sources" in _shown_to_the_desk(signed_in(only_new, made["editor"]), made["story"])
    only_old = another_app({"DATA_KEY": old})
    with only_old.app_context():
        with pytest.raises(crypto.MasterKeyProblem):
            crypto.store().get(bytes.fromhex(next(iter(after)).removesuffix(".key")))

    # And back, so that the session's app (which knows the old key) reads the store again.
    back = another_app({"DATA_KEY": old, "DATA_KEYS_RETIRED": new})
    assert back.test_cli_runner().invoke(args=["keys", "rotate", "--quiet"]).exit_code == 0
    again = another_app({"DATA_KEY": old})
    assert f"{CANARY} draft body" in _shown_to_the_desk(signed_in(again, made["editor"]), made["story"])


def _sealed_tokens(dump: bytes) -> list[str]:
    return re.findall(r"wf1:[A-Za-z0-9_-]{20,}", dump.decode("latin-1"))


def test_a_dump_taken_before_an_account_is_deleted_cannot_be_read_after(app, database_url, factory, worker,
                                                                         tmp_path):
    made = _story_with_canaries(app, factory, worker)
    other = factory.user(name="Someone Else")
    theirs = signed_in(app, other).post("/pitch", valid_pitch(sources="Another person's sources"), page="/pitch")
    assert theirs.status_code == 303
    with app.app_context():
        keys = dict(db.session.execute(sa.text("SELECT owner_id, key_id FROM data_keys")).all())
    reporter_key, other_key = bytes.fromhex(keys[made["reporter"].id]), bytes.fromhex(keys[other.id])
    dump = _database_bytes(app, database_url, tmp_path)
    uploads = {path: path.read_bytes() for path in Path(app.config["UPLOAD_DIR"]).rglob("*") if path.is_file()}
    tokens = _sealed_tokens(dump)
    theirs_then = [t for t in tokens if crypto.key_id_of(t) == reporter_key]
    assert len(theirs_then) >= 10  # pitch fields, messages, note, draft, comment, notifications
    with app.app_context():
        assert crypto.store().get(reporter_key)  # readable before

    done = made["client"].post("/account/delete", {"del-password": PASSWORD, "del-understood": "y"},
                               page="/account")
    assert done.status_code == 303

    with app.app_context():
        store = crypto.store()
        for token in theirs_then:
            with pytest.raises(crypto.MissingKey):
                store.get(crypto.key_id_of(token))
        for data in uploads.values():
            if crypto.is_sealed_file(data) and crypto.key_id_of(data) == reporter_key:
                with pytest.raises(crypto.MissingKey):
                    crypto.open_file(store, data)
        assert store.get(other_key)  # everyone else's data is as readable as before
        assert db.session.execute(sa.text("SELECT count(*) FROM data_keys WHERE owner_id = :id"),
                                  {"id": made["reporter"].id}).scalar() == 0
    assert any(crypto.is_sealed_file(data) and crypto.key_id_of(data) == reporter_key for data in uploads.values())


def test_values_written_before_encryption_are_read_and_then_sealed_by_seal_existing(app, factory, database_url,
                                                                                    tmp_path):
    reporter = factory.user(name="Old Timer")
    client = signed_in(app, reporter)
    response = client.post("/pitch", valid_pitch(sources="Plain old sources"), page="/pitch")
    assert response.status_code == 303
    story = int(response.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():  # as the desk stored it before it sealed anything
        db.session.execute(sa.text("UPDATE submissions SET sources = 'Written in the clear' WHERE id = :id"),
                           {"id": story})
        notification = db.session.execute(sa.text("SELECT min(id) FROM notifications WHERE submission_id = :id"),
                                          {"id": story}).scalar()
        db.session.execute(sa.text("UPDATE notifications SET params = :params WHERE id = :id"),
                           {"params": '{"headline": "A clear old headline"}', "id": notification})
        db.session.commit()
    assert "Written in the clear" in text_of(client.get(f"/submissions/{story}"))

    result = app.test_cli_runner().invoke(args=["keys", "seal-existing", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "Sealed 2 rows" in result.output  # the story's sources and the notification's params; nothing else
    with app.app_context():
        stored = db.session.execute(sa.text("SELECT sources FROM submissions WHERE id = :id"), {"id": story}).scalar()
        params = db.session.execute(sa.text("SELECT params FROM notifications WHERE id = :id"),
                                    {"id": notification}).scalar()
    assert stored.startswith("wf1:")
    assert "A clear old headline" not in str(params) and "wf1:" in str(params)
    again = app.test_cli_runner().invoke(args=["keys", "seal-existing", "--quiet"])
    assert "Sealed 0 rows" in again.output  # what is sealed is never sealed again
    assert "Written in the clear" in text_of(client.get(f"/submissions/{story}"))


def test_production_refuses_to_start_without_a_master_key(monkeypatch, tmp_path):
    from workflow import create_app
    from workflow.config import ConfigurationError

    monkeypatch.setenv("WORKFLOW_ENV", "production")
    monkeypatch.delenv("WORKFLOW_DATA_KEY", raising=False)
    monkeypatch.delenv("WORKFLOW_DATA_KEY_FILE", raising=False)
    with pytest.raises(ConfigurationError, match="WORKFLOW_DATA_KEY"):
        create_app({"TESTING": True})


def test_a_master_key_that_is_not_one_is_refused_with_how_to_make_one(another_app):
    with pytest.raises(crypto.MasterKeyProblem, match="keys new-master"):
        another_app({"DATA_KEY": "not-a-key"})


def test_the_quick_start_makes_its_master_key_once_and_keeps_it(tmp_path):
    path = tmp_path / "instance" / "data-key"
    assert crypto.make_quickstart_key(path) is True
    first = path.read_text()
    assert crypto.make_quickstart_key(path) is False and path.read_text() == first
    assert path.stat().st_mode & 0o077 == 0  # readable by its owner only
    assert len(crypto.master_keys_from({"DATA_KEY_FILE": str(path)}).current) == 32


def test_a_private_value_rolled_back_is_not_read_back(app, factory):
    from workflow.submissions.models import Submission

    reporter = factory.user(name="Rolled Back")
    client = signed_in(app, reporter)
    response = client.post("/pitch", valid_pitch(sources="The sources as sent"), page="/pitch")
    assert response.status_code == 303
    story = int(response.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        submission = db.session.get(Submission, story)
        submission.sources = "Never saved"
        assert submission.sources == "Never saved"
        db.session.rollback()
        assert submission.sources == "The sources as sent"
        db.session.remove()
