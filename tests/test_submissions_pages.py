"""A contributor's work, as they and the desk see it: the pitch form, attachments, drafts, the diff, the timeline.

Files are real ones built here (a PNG, a PDF, a DOCX), sent as a browser sends them, and read back through
the download link.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import timedelta
from html import unescape

import pikepdf
import pytest
import sqlalchemy as sa
from PIL import Image

from tests.helpers import VERSION_RE, Client, field_error, png_bytes, signed_in, text_of, valid_pitch
from workflow.core.models import utcnow
from workflow.extensions import db

# Real small files ------------------------------------------------------------------------------------------


def pdf_bytes() -> bytes:
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>"]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/word/document.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'))
        archive.writestr("_rels/.rels", (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/officeDocument" Target="word/document.xml"/></Relationships>'))
        archive.writestr("word/document.xml", (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            '<w:body><w:p><w:r><w:t>Notes from the bakery.</w:t></w:r></w:p></w:body></w:document>'))
    return buffer.getvalue()


# Helpers ---------------------------------------------------------------------------------------------------


def field_value(response, field_id: str) -> str:
    """What an input or a textarea holds on the page."""
    html = response.get_data(as_text=True)
    textarea = re.search(rf'<textarea[^>]*id="{field_id}"[^>]*>(.*?)</textarea>', html, flags=re.S)
    if textarea:
        return unescape(textarea.group(1)).lstrip("\r\n")
    tag = re.search(rf'<input[^>]*id="{field_id}"[^>]*>', html).group(0)
    value = re.search(r'value="([^"]*)"', tag)
    return unescape(value.group(1)) if value else ""


def submission_id_of(response) -> int:
    return int(re.search(r"/submissions/(\d+)$", response.location).group(1))


def draft_version(client: Client, submission_id: int) -> str:
    return VERSION_RE.search(client.get(f"/submissions/{submission_id}/draft").get_data(as_text=True)).group(1)


def save_draft(client: Client, submission_id: int, body: str, *, version: str | None = None,
               headline: str = "The night bakers", dek: str = "Bread through the curfew.", note: str = ""):
    path = f"/submissions/{submission_id}/draft"
    return client.post(path, {"version": version or draft_version(client, submission_id), "headline": headline,
                              "dek": dek, "body": body, "note": note}, page=path)


@pytest.fixture
def people(app, factory):
    """A contributor and an editor, each signed in in a browser of their own."""
    owner = factory.user("contributor", name="Olga Owner")
    editor = factory.user("editor", name="Edna Editor")
    reporter, desk = signed_in(app, owner), signed_in(app, editor)
    return {"owner": owner, "editor": editor, "reporter": reporter, "desk": desk}


# The pitch form --------------------------------------------------------------------------------------------


PITCH_ERRORS = [
    ("headline", "", "Give your story a working headline."),
    ("headline", "H" * 201, "At most 200 characters."),
    ("summary", "   ", "Summarise the story in a few sentences."),
    ("summary", "S" * 2001, "At most 2,000 characters."),
    ("angle", "", "Tell us why this story matters now."),
    ("sources", "", "Tell us who you will talk to and what access you have."),
    ("proposed_words", "50", "Between 100 and 20,000 words."),
    ("proposed_words", "a thousand", "Not a valid integer value."),
    ("proposed_deadline", "next week", "Not a valid date value."),
    ("experience", "E" * 4001, "At most 4,000 characters."),
]


@pytest.mark.parametrize("field,typed,message", PITCH_ERRORS,
                         ids=[f"{f}-{'empty' if not t.strip() else t[:12]}" for f, t, _ in PITCH_ERRORS])
def test_each_pitch_error_is_next_to_its_field_and_what_was_typed_is_kept(people, field, typed, message):
    reporter = people["reporter"]
    sent = valid_pitch(**{field: typed})
    response = reporter.post("/pitch", sent, page="/pitch")
    assert response.status_code == 422
    assert message in field_error(response, field)
    assert message in text_of(response).split("There is a problem", 1)[1], "listed in the summary on top"
    for other, value in sent.items():
        if other != field:
            assert field_error(response, other) == "", other
            assert field_value(response, other) == value, other
    if typed.strip():
        assert field_value(response, field) == typed
    assert "You have not pitched a story yet." in text_of(reporter.get("/dashboard"))


def test_a_pitch_lands_on_its_page_and_on_the_dashboard(people):
    reporter = people["reporter"]
    response = reporter.post("/pitch", valid_pitch(proposed_deadline=(utcnow().date() + timedelta(days=30))
                                                   .isoformat()), page="/pitch")
    assert response.status_code == 303
    page = text_of(reporter.get(response.location))
    assert "Thank you. Your pitch is with the desk" in page
    assert "The night bakers of the old city" in page and "Flour prices doubled this month." in page
    assert "Olga Owner pitched the story" in page

    dashboard = text_of(reporter.get("/dashboard"))
    row = dashboard.split("Last activity", 1)[1]
    assert "The night bakers of the old city Pitched" in row
    assert "An editor will read your pitch and answer." in row
    assert "just now Olga Owner pitched the story" in row

    # The desk assigns it; the dashboard says what to do next, by when, and what happened last.
    deadline = utcnow().date() + timedelta(days=12)
    submission_id = submission_id_of(response)
    desk = people["desk"]
    version = VERSION_RE.search(desk.get(f"/submissions/{submission_id}").get_data(as_text=True)).group(1)
    assert desk.post(f"/submissions/{submission_id}/transition", {
        "action": "assign", "version": version, "editor_id": str(people["editor"].id),
        "deadline": deadline.isoformat()}, page=f"/submissions/{submission_id}").status_code == 303
    row = text_of(reporter.get("/dashboard")).split("Last activity", 1)[1]
    assert "Assigned" in row
    assert f"Write and send your draft by {deadline.strftime('%d %b %Y')}." in row
    assert "You, with Edna Editor" in row
    assert "Edna Editor assigned the story" in row


def test_an_unconfirmed_contributor_is_told_to_confirm_and_keeps_the_pitch(factory, make_client):
    person = factory.user("contributor", confirmed=False)
    reporter = make_client()
    assert reporter.login(person.email).status_code == 303
    response = reporter.post("/pitch", valid_pitch(), page="/pitch")
    assert response.status_code in (403, 422)
    assert "Please confirm your email address" in text_of(response)
    assert field_value(response, "headline") == "The night bakers of the old city"


def same_content(name: str, stored: bytes, sent: bytes) -> bool:
    """Whether a stored file holds what was sent: the same pixels, pages or text (its metadata may be gone)."""
    if name.endswith(".png"):
        return Image.open(io.BytesIO(stored)).tobytes() == Image.open(io.BytesIO(sent)).tobytes()
    if name.endswith(".pdf"):
        return stored.startswith(b"%PDF-") and len(pikepdf.open(io.BytesIO(stored)).pages) == 1
    return zipfile.ZipFile(io.BytesIO(stored)).read("word/document.xml") == \
        zipfile.ZipFile(io.BytesIO(sent)).read("word/document.xml")


# Attachments -----------------------------------------------------------------------------------------------


def test_real_files_are_accepted_and_downloaded_with_their_content(people):
    reporter, desk = people["reporter"], people["desk"]
    files = {"crowd.png": (png_bytes(), "image/png"), "permit.pdf": (pdf_bytes(), "application/pdf"),
             "notes.docx": (docx_bytes(),
                            "application/vnd.openxmlformats-officedocument.wordprocessingml.document")}
    response = reporter.post("/pitch", valid_pitch(attachments=[(io.BytesIO(data), name)
                                                                for name, (data, _) in files.items()]),
                             page="/pitch")
    assert response.status_code == 303, text_of(response)
    page = reporter.get(response.location).get_data(as_text=True)
    links = dict((unescape(name), url) for url, name in
                 re.findall(r'<a href="(/submissions/\d+/attachments/\d+)">([^<]+)</a>', page))
    assert set(links) == set(files)
    assert re.search(r"\(\d\d bytes, metadata removed\)", page)  # a small file does not show as "0 KB"

    for name, (data, content_type) in files.items():
        for client in (reporter, desk):
            download = client.get(links[name])
            assert download.status_code == 200
            assert same_content(name, download.data, data)  # cleaned of its metadata (test_..._metadata.py)
            assert download.headers["Content-Type"].startswith(content_type)
            assert download.headers["Content-Disposition"].startswith("attachment")
            assert name in download.headers["Content-Disposition"]
            assert download.headers["X-Content-Type-Options"] == "nosniff"


def download_name(response) -> str:
    """The file name a browser saves a download under (``filename*`` when the name is not ASCII)."""
    from urllib.parse import unquote

    header = response.headers["Content-Disposition"]
    encoded = re.search(r"filename\*=UTF-8''([^;]+)", header)
    return unquote(encoded.group(1)) if encoded else re.search(r'filename="?([^";]+)"?', header).group(1)


def same_file(stored: bytes, sent: bytes, kind: str) -> bool:
    """The file the desk hands out is the one sent, cleaned of its metadata (so not byte for byte)."""
    if kind == "pdf":
        with pikepdf.open(io.BytesIO(stored)) as out, pikepdf.open(io.BytesIO(sent)) as original:
            return len(out.pages) == len(original.pages)
    with Image.open(io.BytesIO(stored)) as out, Image.open(io.BytesIO(sent)) as original:
        return out.size == original.size and out.tobytes() == original.convert(out.mode).tobytes()


HOSTILE_NAMES = {
    # as sent: (the bytes, what the desk and the download show)
    "../../etc/passwd": ("pdf", "passwd.pdf"),
    "C:/Users/rana/Desktop/../win.ini": ("pdf", "win.pdf"),
    "invoice\u202efdp.exe": ("pdf", "invoicefdp.pdf"),
    "sum\u200bmary\u200d\u2066.pdf\u2069\u200e": ("pdf", "summary.pdf"),
    "crowd.exe": ("png", "crowd.png"),
    "\u202e\u200b.. /": ("png", "file.png"),
    "a" * 300 + ".pdf": ("pdf", "a" * 116 + ".pdf"),
}


def test_file_names_cannot_lie_on_the_page_or_in_the_download(people):
    reporter, desk = people["reporter"], people["desk"]
    data = {"pdf": pdf_bytes(), "png": png_bytes()}
    response = reporter.post("/pitch", valid_pitch(attachments=[(io.BytesIO(data[kind]), name)
                                                                for name, (kind, _) in HOSTILE_NAMES.items()]),
                             page="/pitch")
    assert response.status_code == 303, text_of(response)
    page = desk.get(response.location).get_data(as_text=True)
    shown = [(unescape(name), url) for url, name in
             re.findall(r'<a href="(/submissions/\d+/attachments/\d+)">([^<]+)</a>', page)]
    assert [name for name, _ in shown] == [clean for _, clean in HOSTILE_NAMES.values()]
    for (_, url), (kind, clean) in zip(shown, HOSTILE_NAMES.values(), strict=True):
        download = desk.get(url)
        assert download.status_code == 200 and same_file(download.data, data[kind], kind)
        assert download_name(download) == clean
    assert not re.search("[\u200b-\u200f\u202a-\u202e\u2066-\u2069]", page)


def test_a_file_named_pdf_that_is_text_is_refused_next_to_the_attachments(people):
    reporter = people["reporter"]
    response = reporter.post("/pitch", valid_pitch(attachments=[
        (io.BytesIO(b"<script>alert(1)</script> just some text"), "contract.pdf")]), page="/pitch")
    assert response.status_code == 422
    error = field_error(response, "attachments")
    assert "“contract.pdf” is of a type whose hidden data (author, location, history) we cannot remove" in error
    assert field_value(response, "headline") == "The night bakers of the old city"
    assert "choose your files again" in text_of(response)
    assert "You have not pitched a story yet." in text_of(reporter.get("/dashboard"))


def test_file_problems_are_reported_together_with_the_other_errors(people):
    response = people["reporter"].post("/pitch", valid_pitch(summary="", attachments=[
        (io.BytesIO(b"plain"), "a.pdf"), (io.BytesIO(b""), "empty.png"), (io.BytesIO(png_bytes()), "ok.png")]),
        page="/pitch")
    assert response.status_code == 422
    assert "Summarise the story" in field_error(response, "summary")
    error = field_error(response, "attachments")
    assert "“a.pdf” is of a type whose hidden data" in error and "“empty.png” is empty." in error
    assert "ok.png" not in error


def test_a_file_too_large_is_refused_with_the_limit(app, people, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_UPLOAD_BYTES", 2048)
    page = people["reporter"].get("/pitch")
    assert "up to 2 KB each" in text_of(page)
    big = pdf_bytes()
    big += b"%" + b"x" * (3 * 1024 + 100 - len(big) - 2) + b"\n"  # a PDF comment, to 3,172 bytes
    response = people["reporter"].post("/pitch", valid_pitch(attachments=[(io.BytesIO(big), "big.pdf")]),
                                       page="/pitch")
    assert response.status_code == 422
    assert field_error(response, "attachments") == "“big.pdf” is 3.1 KB; files may be at most 2 KB."
    # Under the limit, the same kind of file goes through.
    response = people["reporter"].post("/pitch", valid_pitch(attachments=[(io.BytesIO(pdf_bytes()), "ok.pdf")]),
                                       page="/pitch")
    assert response.status_code == 303


def test_a_request_larger_than_the_server_takes_gets_a_readable_page(app, people, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 4096)
    response = people["reporter"].post("/pitch", valid_pitch(attachments=[
        (io.BytesIO(pdf_bytes() + b"%" + b"x" * 8000), "huge.pdf")]), page="/pitch")
    assert response.status_code == 413
    assert "That is too large" in text_of(response)


def test_another_submissions_attachment_is_not_reachable_through_ones_own(people, factory, make_client):
    reporter = people["reporter"]
    response = reporter.post("/pitch", valid_pitch(attachments=[(io.BytesIO(png_bytes()), "mine.png")]),
                             page="/pitch")
    url = re.search(r'href="(/submissions/\d+/attachments/(\d+))"',
                    reporter.get(response.location).get_data(as_text=True))
    other_story = factory.submission(people["owner"])
    assert reporter.get(f"/submissions/{other_story.id}/attachments/{url.group(2)}").status_code == 404
    assert reporter.get(url.group(1)).status_code == 200


# Drafts ----------------------------------------------------------------------------------------------------


def test_every_save_is_a_new_revision(people, factory):
    submission = factory.submission(people["owner"], state="assigned", editor=people["editor"])
    reporter = people["reporter"]
    assert "Write the draft" in text_of(reporter.get(f"/submissions/{submission.id}"))
    assert save_draft(reporter, submission.id, "The ovens start at midnight.", note="First go").status_code == 303
    page = text_of(reporter.get(f"/submissions/{submission.id}"))
    assert "Saved as revision 1." in page and "Revise the draft" in page
    assert save_draft(reporter, submission.id, "The ovens start at eleven.").status_code == 303
    assert save_draft(people["desk"], submission.id, "The ovens start at 11 p.m.").status_code == 303

    page = text_of(reporter.get(f"/submissions/{submission.id}"))
    assert "Olga Owner saved revision 1 (contributor's draft): “First go”" in page
    assert "Olga Owner saved revision 2 (contributor's draft)" in page
    assert "Edna Editor saved revision 3 (editor's edit)" in page
    assert "Revision 3 · Editor's edit by Edna Editor" in page
    for number, body in ((1, "midnight"), (2, "at eleven"), (3, "11 p.m.")):
        assert body in text_of(reporter.get(f"/submissions/{submission.id}/revisions/{number}"))
    assert reporter.get(f"/submissions/{submission.id}/revisions/4").status_code == 404
    # The draft form starts from the latest revision.
    assert field_value(reporter.get(f"/submissions/{submission.id}/draft"), "body") == "The ovens start at 11 p.m."


def test_the_draft_form_keeps_what_was_typed_when_refused(people, factory):
    submission = factory.submission(people["owner"], state="assigned", editor=people["editor"])
    response = save_draft(people["reporter"], submission.id, "   \n  ", headline="Kept headline", dek="")
    assert response.status_code == 422
    assert "Write the dek" in field_error(response, "dek")
    assert field_value(response, "headline") == "Kept headline"
    response = save_draft(people["reporter"], submission.id, "  \n ", headline="Kept headline")
    assert response.status_code == 422
    assert "The draft is empty." in field_error(response, "body")
    assert "No draft yet." in text_of(people["reporter"].get(f"/submissions/{submission.id}"))


@pytest.mark.parametrize("state,contributor_may,editor_may", [
    ("pitched", False, False), ("assigned", True, True), ("edited", False, True), ("published", False, False),
    ("declined", False, False), ("withdrawn", False, False),
])
def test_who_may_write_the_draft_when(people, factory, state, contributor_may, editor_may):
    submission = factory.submission(people["owner"], state=state, editor=people["editor"])
    for client, may in ((people["reporter"], contributor_may), (people["desk"], editor_may)):
        page = text_of(client.get(f"/submissions/{submission.id}"))
        assert any(label in page for label in ("Write the draft", "Revise the draft", "Edit the draft")) is may
        assert client.get(f"/submissions/{submission.id}/draft").status_code == (200 if may else 403)
        response = client.post(f"/submissions/{submission.id}/draft", {
            "version": "", "headline": "H", "dek": "D", "body": "Sneaked in."}, page=f"/submissions/{submission.id}")
        assert response.status_code == (303 if may else 403)
    # Only the allowed saves became revisions (edited and published stories came with the factory's draft).
    timeline = text_of(people["desk"].get(f"/submissions/{submission.id}"))
    expected = (state in ("edited", "published")) + contributor_may + editor_may
    assert timeline.count(" saved revision ") == expected


def test_a_stale_draft_form_is_refused_and_the_text_is_given_back(people, factory):
    submission = factory.submission(people["owner"], state="assigned", editor=people["editor"], with_draft=True)
    reporter, desk = people["reporter"], people["desk"]
    stale = draft_version(reporter, submission.id)
    assert save_draft(desk, submission.id, "The editor's tightened version.").status_code == 303

    response = save_draft(reporter, submission.id, "My careful rewrite of the whole piece.", version=stale)
    assert response.status_code == 409
    page = text_of(response)
    assert "This submission changed since you opened it" in page
    assert "Edna Editor saved revision 2" in page
    assert field_value(response, "unsaved-body") == "My careful rewrite of the whole piece."
    assert "Open the current draft" in page
    # Nothing was saved: the editor's version is the latest.
    assert reporter.get(f"/submissions/{submission.id}/revisions/3").status_code == 404
    assert "Revision 2 · Editor's edit" in text_of(reporter.get(f"/submissions/{submission.id}"))


# The diff --------------------------------------------------------------------------------------------------


def test_the_diff_shows_the_editors_latest_edit_against_the_contributors_last_draft(people, factory):
    submission = factory.submission(people["owner"], state="assigned", editor=people["editor"])
    reporter, desk = people["reporter"], people["desk"]
    diff_url = f"/submissions/{submission.id}/diff"
    assert "There is no draft yet" in text_of(desk.get(diff_url))
    save_draft(reporter, submission.id, "The ovens start at midnight.\n\nThe queue reaches the square.")
    assert "There is only one revision so far" in text_of(desk.get(diff_url))
    save_draft(desk, submission.id, "The ovens start at 11 p.m.\n\nThe queue reaches the square.")
    save_draft(reporter, submission.id, "The ovens start at 11 p.m.\n\nThe queue reaches the old square.",
               headline="The night bakers of Aleppo")
    save_draft(desk, submission.id, "The ovens start at 11 p.m.\n\nBy dawn the queue reaches the old square.",
               headline="The night bakers of Aleppo")

    response = reporter.get(diff_url)
    assert response.status_code == 200
    page = text_of(response)
    assert ("Changes from revision 3 (contributor's draft, Olga Owner) to revision 4 (editor's edit, "
            "Edna Editor)") in page
    html = response.get_data(as_text=True)
    assert "<ins>By dawn the</ins>" in html and "<del>The</del>" in html
    assert "<ins>" not in html.split("diff-row__label\">Dek")[1].split("</div>")[0]  # an unchanged dek

    # Any two revisions can be compared.
    html = reporter.get(f"{diff_url}?from=1&to=2").get_data(as_text=True)
    assert "<del>midnight.</del>" in html and "<ins>11 p.m.</ins>" in html
    assert reporter.get(f"{diff_url}?from=1&to=9").status_code == 404


def test_the_diff_goes_forward_when_the_editor_wrote_first(people, factory):
    submission = factory.submission(people["owner"], state="assigned", editor=people["editor"])
    save_draft(people["desk"], submission.id, "A skeleton from the desk.")
    save_draft(people["reporter"], submission.id, "A full draft from the reporter.")
    page = text_of(people["reporter"].get(f"/submissions/{submission.id}/diff"))
    assert "Changes from revision 1 (editor's edit, Edna Editor) to revision 2 (contributor's draft" in page


# The timeline ----------------------------------------------------------------------------------------------


def test_messages_and_internal_notes_appear_on_the_timeline_in_order(people, factory):
    submission = factory.submission(people["owner"])
    reporter, desk = people["reporter"], people["desk"]
    path = f"/submissions/{submission.id}"
    steps = [
        (desk, {"body": "Who are your sources at the mill?"}),
        (reporter, {"body": "The foreman and two drivers."}),
        (desk, {"body": "Desk only: we know the foreman.", "internal": "y"}),
    ]
    for client, data in steps:
        assert client.post(f"{path}/messages", data, page=path).status_code == 303
    version = VERSION_RE.search(desk.get(path).get_data(as_text=True)).group(1)
    assert desk.post(f"{path}/transition", {"action": "assign", "version": version,
                                            "editor_id": str(people["editor"].id),
                                            "deadline": (utcnow().date() + timedelta(days=3)).isoformat()},
                     page=path).status_code == 303
    assert reporter.post(f"{path}/messages", {"body": "Thank you, starting now."}, page=path).status_code == 303

    desk_view = text_of(desk.get(path)).split("Timeline and conversation", 1)[1]
    expected = ["Olga Owner pitched the story", "Who are your sources at the mill?", "The foreman and two drivers.",
                "Internal note Edna Editor", "Desk only: we know the foreman.",
                "Edna Editor moved it from pitched to assigned", "Thank you, starting now."]
    positions = [desk_view.find(fragment) for fragment in expected]
    assert -1 not in positions and positions == sorted(positions), list(zip(expected, positions))

    own_view = text_of(reporter.get(path)).split("Timeline and conversation", 1)[1]
    visible = [fragment for fragment in expected
               if fragment not in ("Internal note Edna Editor", "Desk only: we know the foreman.")]
    positions = [own_view.find(fragment) for fragment in visible]
    assert -1 not in positions and positions == sorted(positions)
    assert "we know the foreman" not in own_view

    # Messages leave open pages valid: the version did not move.
    assert factory.version_of(submission) == int(version) + 1


def test_an_empty_message_is_refused_next_to_the_field(people, factory):
    submission = factory.submission(people["owner"])
    path = f"/submissions/{submission.id}"
    response = people["reporter"].post(f"{path}/messages", {"body": "  "}, page=path)
    assert response.status_code == 422
    assert "Write a message first." in field_error(response, "body")


def test_a_contributor_cannot_write_after_withdrawing(people, factory):
    submission = factory.submission(people["owner"], state="withdrawn")
    path = f"/submissions/{submission.id}"
    page = text_of(people["reporter"].get(path))
    assert "Write to the desk" not in page
    response = people["reporter"].post(f"{path}/messages", {"body": "Sorry, one more thing."}, page=path)
    assert response.status_code == 403
    assert "You cannot write on this submission." in text_of(response)
    assert "one more thing" not in text_of(people["desk"].get(path))


@pytest.mark.parametrize("state,for_the_contributor,for_the_desk", [
    ("pitched", "An editor will read your pitch and answer.", "Read the pitch, then assign it or decline it."),
    ("edited", "The edited copy is ready; the editor will publish it.",
     "Publish it, or ask the contributor for a revision."),
    ("withdrawn", "You withdrew this story.", "The contributor withdrew this story."),
])
def test_the_next_step_speaks_to_whoever_reads_it(people, factory, state, for_the_contributor, for_the_desk):
    submission = factory.submission(people["owner"], state=state, editor=people["editor"])
    path = f"/submissions/{submission.id}"
    assert f"Next: {for_the_contributor}" in text_of(people["reporter"].get(path))
    assert f"Next: {for_the_desk}" in text_of(people["desk"].get(path))
    assert for_the_contributor in text_of(people["reporter"].get("/dashboard"))


def test_a_name_stored_before_names_were_cleaned_is_shown_clean(app, people):
    reporter, desk = people["reporter"], people["desk"]
    response = reporter.post("/pitch", valid_pitch(attachments=[(io.BytesIO(pdf_bytes()), "plain.pdf")]),
                             page="/pitch")
    assert response.status_code == 303, text_of(response)
    with app.app_context():  # as an older desk stored it: the name as sent
        db.session.execute(sa.text("UPDATE attachments SET filename = :name"), {"name": "invoice\u202efdp.exe"})
        db.session.commit()
    page = desk.get(response.location).get_data(as_text=True)
    assert ">invoicefdp.pdf</a>" in page
    assert "\u202e" not in page
