"""A contributor takes all their data away: one zip with data.json and the files they sent, nothing of anyone
else's, nothing of the desk's internal notes."""

from __future__ import annotations

import io
import json
import re
import zipfile
from types import SimpleNamespace

import pikepdf
import sqlalchemy as sa

from tests.helpers import PASSWORD, Client, publish, signed_in, valid_pitch
from workflow.extensions import db

# A real one-page PDF: a file the desk cannot read is refused (its metadata could not be removed).
PDF = (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [3 0 R] "
       b"/Count 1 >>\nendobj\n3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>\nendobj\n"
       b"trailer\n<< /Root 1 0 R >>\n%%EOF\n")


def test_a_contributor_downloads_everything_the_desk_keeps_about_them(app, factory, make_client):
    editor = factory.user("editor")
    reporter = factory.user(byline="M. Pen")
    other = factory.user()
    theirs = factory.submission(other, "pitched", headline="Someone else's story")
    client = signed_in(app, reporter)
    response = client.post("/pitch", {**valid_pitch(headline="The ferry that still runs"),
                                      "attachments": [(io.BytesIO(PDF), "notes.pdf")]},
                           page="/pitch", content_type="multipart/form-data")
    assert response.status_code == 303
    story_id = int(response.headers["Location"].rsplit("/", 1)[1])
    story = SimpleNamespace(id=story_id)  # what factory.message needs of a submission
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
    with pikepdf.open(io.BytesIO(archive.read(attached))) as exported:  # the file as the desk keeps it
        assert len(exported.pages) == 1
    assert theirs.headline not in json.dumps(data)
    assert any(n["event"] == "submission.received" for n in data["notifications"])


def test_only_a_signed_in_person_gets_a_download_and_only_their_own(app, factory, make_client):
    assert Client(app).get("/account/export").status_code == 302
    editor = factory.user("editor")
    client = signed_in(app, editor)
    data = json.loads(zipfile.ZipFile(io.BytesIO(client.get("/account/export").data)).read("data.json"))
    assert data["account"]["email"] == editor.email and data["submissions"] == []


# --- closing an account ---------------------------------------------------------------------------------------

def _everything(app) -> str:
    """Every row of every table, as text: what a search of the database would find."""
    import sqlalchemy as sa

    from workflow.extensions import db

    with app.app_context():
        rows = [repr(tuple(row)) for table in db.metadata.sorted_tables
                for row in db.session.execute(sa.select(table))]
        db.session.remove()
    return "\n".join(rows)


def _delete(client, password=None, understood="y"):
    from tests.helpers import PASSWORD

    return client.post("/account/delete", {"del-password": PASSWORD if password is None else password,
                                           "del-understood": understood}, page="/account")


def test_a_contributor_deletes_their_account_and_only_the_published_byline_stays(app, factory, make_client):
    from tests.helpers import PASSWORD, text_of
    from workflow.extensions import db
    from workflow.people.models import User

    slug, editor = publish(app, factory, byline="Quiet Pen", body="The published text.")
    with app.app_context():
        from workflow.submissions.models import Submission

        published = db.session.scalar(db.select(Submission).where(Submission.slug == slug))
        person = published.contributor
        email, real_name, public_id = person.email, person.display_name, person.public_id
    client = signed_in(app, email)
    response = client.post("/pitch", {**valid_pitch(headline="My unpublished scoop", sources="Secret source X"),
                                      "attachments": [(io.BytesIO(PDF), "sources.pdf")]},
                           page="/pitch", content_type="multipart/form-data")
    pending = int(response.headers["Location"].rsplit("/", 1)[1])
    from workflow.core import storage
    from workflow.submissions.models import Attachment

    with app.app_context():
        sent = [storage.path_for(key) for key in db.session.scalars(
            db.select(Attachment.storage_key).where(Attachment.submission_id == pending))]
    assert sent and all(path.exists() for path in sent)

    refused = _delete(client, password="wrong password here")
    assert refused.status_code == 422 and "That is not your password." in text_of(refused)
    unticked = _delete(client, understood="")
    assert unticked.status_code == 422 and "Tick the box" in text_of(unticked)
    assert client.get("/dashboard").status_code == 200  # still there, still signed in

    done = _delete(client)
    assert done.status_code == 303
    assert "Your account is deleted." in text_of(client.get(done.headers["Location"]))
    assert client.get("/dashboard").status_code == 302  # signed out
    assert Client(app).login(email, PASSWORD).status_code == 422

    reader = Client(app)
    article = reader.get(f"/articles/{slug}")
    assert article.status_code == 200
    page = article.get_data(as_text=True)
    assert "Written by" in text_of(article) and "Quiet Pen" in text_of(article)
    assert f"/contributors/{public_id}" not in page  # no page about the person any more
    assert reader.get(f"/contributors/{public_id}").status_code == 404
    desk = signed_in(app, editor)
    assert desk.get(f"/submissions/{pending}").status_code == 404

    stored = _everything(app)
    for trace in (email, real_name, "My unpublished scoop", "Secret source X", "sources.pdf"):
        assert trace not in stored, trace
    assert "The published text." in stored and "Quiet Pen" in stored
    assert not [path for path in sent if path.exists()], "the files they sent are still stored"
    with app.app_context():
        account = db.session.get(User, published.contributor_id)
        assert account.email.endswith("@deleted.invalid") and not account.is_active


def test_editors_and_admins_cannot_delete_their_own_account_here(app, factory, make_client):
    from tests.helpers import text_of

    editor = factory.user("editor")
    client = signed_in(app, editor)
    assert 'name="del-password"' not in client.get("/account").get_data(as_text=True)
    response = _delete(client)
    assert response.status_code == 422 and "closed by an admin" in text_of(response)


FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"


def _signed_in_with_app_and_key(app, factory, make_client):
    """A contributor signed in from Firefox, with an authenticator app, a named security key and recovery codes."""
    import pyotp

    from tests.helpers import SoftKey

    person = factory.user("contributor")
    client = make_client()
    client.http.environ_base["HTTP_USER_AGENT"] = FIREFOX
    assert client.login(person.email).status_code == 303
    page = client.get("/account/two-step/app").get_data(as_text=True)
    secret = re.search(r'<code class="secret" translate="no">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")
    assert client.post("/account/two-step/app", {"code": pyotp.TOTP(secret).now()},
                       page="/account/two-step/app").status_code == 200
    token = client.csrf_token("/account")
    options = client.http.post("/account/two-step/keys/options", json={}, headers={"X-CSRFToken": token}).json
    added = client.http.post("/account/two-step/keys", headers={"X-CSRFToken": token},
                             json={"name": "Blue key on my keyring", "credential": SoftKey().create(options)})
    assert added.status_code == 200
    return person, client, secret


def test_the_download_says_how_the_person_signs_in_and_holds_no_secret(app, factory, make_client):
    person, client, secret = _signed_in_with_app_and_key(app, factory, make_client)
    download = client.get("/account/export")
    data = json.loads(zipfile.ZipFile(io.BytesIO(download.data)).read("data.json"))
    assert [row["device"] for row in data["sessions"]] == ["Firefox on Windows"]
    assert [row["device"] for row in data["known_browsers"]] == ["Firefox on Windows"]
    second = data["second_step"]
    assert second["authenticator_app_since"] and second["recovery_codes_left"] == 10
    assert [key["name"] for key in second["security_keys"]] == ["Blue key on my keyring"]
    with app.app_context():
        from workflow.auth.models import RecoveryCode, SecurityKey, UserSession

        hashes = db.session.scalars(sa.select(RecoveryCode.code_hash)).all()
        key_hashes = db.session.scalars(sa.select(UserSession.key_hash)).all()
        credential = db.session.scalar(sa.select(SecurityKey.credential_id))
    text = download.data.decode("latin-1")
    for secret_value in [secret, credential, *hashes, *key_hashes]:
        assert secret_value not in text


def test_deleting_an_account_forgets_its_second_step_and_its_browsers(app, factory, make_client):
    from workflow.auth.models import KnownDevice, RecoveryCode, SecurityKey, TotpSecret, UserSession

    person, client, _ = _signed_in_with_app_and_key(app, factory, make_client)
    response = client.post("/account/delete", {"del-password": PASSWORD, "del-understood": "y"}, page="/account")
    assert response.status_code == 303
    with app.app_context():
        for model in (TotpSecret, SecurityKey, RecoveryCode, KnownDevice, UserSession):
            left = db.session.scalar(sa.select(sa.func.count()).select_from(model).where(model.user_id == person.id))
            assert left == 0, f"{model.__tablename__} still holds rows of the deleted account"


def test_the_files_in_the_download_have_clean_names_prefixed_by_story_that_never_collide(app, factory):
    from workflow.submissions.models import Attachment

    reporter = factory.user()
    client = signed_in(app, reporter)
    stories = []
    for headline in ("The ferry that still runs", "The bakery at night"):
        response = client.post("/pitch", {**valid_pitch(headline=headline), "attachments": [
            (io.BytesIO(PDF), "notes.pdf"), (io.BytesIO(PDF + b"%2\n"), "../notes.pdf")]},
            page="/pitch", content_type="multipart/form-data")
        assert response.status_code == 303
        stories.append(int(response.headers["Location"].rsplit("/", 1)[1]))
    with app.app_context():  # a name stored before names were cleaned
        old = db.session.scalars(sa.select(Attachment).where(Attachment.submission_id == stories[1])
                                 .order_by(Attachment.id)).first()
        old.filename = "../../etc/evil\u202efdp.exe"
        db.session.commit()

    archive = zipfile.ZipFile(io.BytesIO(client.get("/account/export").data))
    names = [name for name in archive.namelist() if name.startswith("attachments/")]
    assert len(names) == len(set(names)) == 4
    for name in names:
        assert name.count("/") == 1 and ".." not in name and "\u202e" not in name, name
        assert name.endswith(".pdf"), name
    per_story = {story: sorted(name for name in names if name.startswith(f"attachments/{story}-"))
                 for story in stories}
    assert all(len(found) == 2 for found in per_story.values()), per_story
    assert any(name.endswith("-evilfdp.pdf") for name in per_story[stories[1]])
    assert sum(name.endswith("-notes.pdf") for name in names) == 3
    for name in names:  # the files themselves (cleaned of their metadata at intake, so not byte for byte)
        with pikepdf.open(io.BytesIO(archive.read(name))) as pdf:
            assert len(pdf.pages) == 1, name
