"""A contributor takes all their data away: one zip with data.json and the files they sent, nothing of anyone
else's, nothing of the desk's internal notes."""

from __future__ import annotations

import io
import json
import zipfile

from tests.helpers import Client
from tests.test_submissions import valid_pitch

PDF = b"%PDF-1.4\n% my interview notes\n"


def test_a_contributor_downloads_everything_the_desk_keeps_about_them(app, factory, make_client):
    editor = factory.user("editor")
    reporter = factory.user(byline="M. Pen")
    other = factory.user()
    theirs = factory.submission(other, "pitched", headline="Someone else's story")
    client = make_client()
    client.login(reporter.email)
    response = client.post("/pitch", {**valid_pitch(headline="The ferry that still runs"),
                                      "attachments": [(io.BytesIO(PDF), "notes.pdf")]},
                           page="/pitch", content_type="multipart/form-data")
    assert response.status_code == 303
    story_id = int(response.headers["Location"].rsplit("/", 1)[1])
    from tests.helpers import _Ref

    story = _Ref(id=story_id)
    factory.message(editor, story, "Can you file by Friday?")
    factory.message(editor, story, "Internal: check her sources twice.", internal=True)
    factory.message(reporter, story, "Yes, Friday works.")

    download = client.get("/account/export")
    assert download.status_code == 200 and download.mimetype == "application/zip"
    assert download.headers["Content-Disposition"].startswith('attachment; filename="my-data-')
    assert "no-store" in download.headers["Cache-Control"]
    archive = zipfile.ZipFile(io.BytesIO(download.data))
    data = json.loads(archive.read("data.json"))
    assert data["account"]["email"] == reporter.email and data["account"]["byline_name"] == "M. Pen"
    assert "password_hash" not in json.dumps(data) and "session_token" not in json.dumps(data)
    [mine] = data["submissions"]
    assert mine["headline"] == "The ferry that still runs" and mine["state"] == "pitched"
    assert [m["body"] for m in mine["messages"]] == ["Can you file by Friday?", "Yes, Friday works."]
    assert "check her sources" not in download.data.decode("latin-1")  # the desk's internal note stays there
    assert mine["history"][0]["action"] == "pitch"
    assert mine["attachments"][0]["filename"] == "notes.pdf"
    [attached] = [name for name in archive.namelist() if name.startswith("attachments/")]
    assert archive.read(attached) == PDF
    assert theirs.headline not in json.dumps(data)
    assert any(n["event"] == "submission.received" for n in data["notifications"])


def test_only_a_signed_in_person_gets_a_download_and_only_their_own(app, factory, make_client):
    assert Client(app).get("/account/export").status_code == 302
    editor = factory.user("editor")
    client = make_client()
    client.login(editor.email)
    data = json.loads(zipfile.ZipFile(io.BytesIO(client.get("/account/export").data)).read("data.json"))
    assert data["account"]["email"] == editor.email and data["submissions"] == []
