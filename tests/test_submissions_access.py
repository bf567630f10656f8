"""Who may see what: a contributor sees their own work and nothing of anybody else's, never the desk's notes.

One story is built over HTTP as people would build it (a pitch with a photo, an assignment, a draft and an
edit, messages and an internal note); then every URL that shows or changes it is tried by the other
contributor (404, exactly like a submission that does not exist, with no trace of the headline), by the owner
(no internal notes anywhere) and by the desk (everything).
"""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest

from tests.helpers import page_version, png_bytes, signed_in, text_of
from workflow.core.models import utcnow

HEADLINE = "Smugglers of the northern pass"
NOTE = "Check the smuggler's criminal record before we run this."
class Story:
    """A story with everything a story can have, and the people around it, each in a browser."""

    def __init__(self, factory, make_client):
        self.owner = factory.user("contributor", name="Olga Owner")
        self.other = factory.user("contributor", name="Otto Other")
        self.editor = factory.user("editor", name="Edna Editor")
        self.second_editor = factory.user("editor", name="Max Desk")
        self.admin = factory.user("admin", name="Ada Admin")
        self.clients = {}
        for key in ("owner", "other", "editor", "second_editor", "admin"):
            self.clients[key] = signed_in(factory.app, getattr(self, key))
        owner, desk = self.clients["owner"], self.clients["editor"]

        response = owner.post("/pitch", {
            "headline": HEADLINE, "summary": "Who moves people across the pass, and for how much.",
            "angle": "The pass reopened last week.", "sources": "Two smugglers, a border guard.",
            "proposed_words": "1500", "proposed_deadline": "", "experience": "",
            "attachments": [(io.BytesIO(png_bytes()), "the-pass.png")],
        }, page="/pitch")
        assert response.status_code == 303, text_of(response)
        self.id = int(re.search(r"/submissions/(\d+)", response.location).group(1))
        self.path = f"/submissions/{self.id}"
        self.attachment_id = int(re.search(rf"{self.path}/attachments/(\d+)",
                                           owner.get(self.path).get_data(as_text=True)).group(1))

        deadline = (utcnow().date() + timedelta(days=10)).isoformat()
        assert desk.post(f"{self.path}/transition", {
            "action": "assign", "version": page_version(desk, self.path), "editor_id": str(self.editor.id),
            "deadline": deadline}, page=self.path).status_code == 303
        for client in (owner, desk):  # a contributor's draft, then the editor's edit
            assert client.post(f"{self.path}/draft", {
                "version": page_version(client, f"{self.path}/draft"), "headline": HEADLINE,
                "dek": "The pass is open again.", "body": f"Paragraph by {client.user_email}.",
            }, page=f"{self.path}/draft").status_code == 303
        assert owner.post(f"{self.path}/messages", {"body": "Photos attached."}, page=self.path).status_code == 303
        assert desk.post(f"{self.path}/messages", {"body": NOTE, "internal": "y"},
                         page=self.path).status_code == 303

    def urls_to_read(self) -> list[str]:
        return [self.path, f"{self.path}/draft", f"{self.path}/revisions/1", f"{self.path}/revisions/2",
                f"{self.path}/diff", f"{self.path}/diff?from=1&to=2",
                f"{self.path}/attachments/{self.attachment_id}"]


@pytest.fixture
def story(factory, make_client) -> Story:
    return Story(factory, make_client)


def test_another_contributor_finds_nothing_by_any_url(story):
    other = story.clients["other"]
    own = other.post("/pitch", {"headline": "My own story", "summary": "S.", "angle": "A.", "sources": "S.",
                                "proposed_words": "", "proposed_deadline": "", "experience": ""}, page="/pitch")
    own_path = re.search(r"/submissions/\d+", own.location).group(0)
    assert "My own story" in text_of(other.get(own_path))  # (and the "thank you" flash is read)
    nothing_here = text_of(other.get("/submissions/999999"))

    for url in [*story.urls_to_read(), f"{own_path}/attachments/{story.attachment_id}"]:
        response = other.get(url)
        assert response.status_code == 404, url
        body = response.get_data(as_text=True)
        assert "Smugglers" not in body and "northern pass" not in body, url
        assert "the-pass.png" not in body and "Content-Disposition" not in response.headers, url
        assert text_of(response) == nothing_here, f"{url} must look like a submission that does not exist"

    posts = {
        f"{story.path}/transition": {"action": "withdraw", "version": "1"},
        f"{story.path}/messages": {"body": "Let me in."},
        f"{story.path}/draft": {"version": "", "headline": "Mine now", "dek": "D.", "body": "Overwritten."},
    }
    for url, data in posts.items():
        response = other.post(url, data, page="/dashboard")
        assert response.status_code == 404, url
        assert "Smugglers" not in response.get_data(as_text=True)

    # None of it reached the story.
    page = text_of(story.clients["editor"].get(story.path))
    assert "Let me in." not in page and "Withdrawn" not in page and "revision 3" not in page
    assert HEADLINE not in text_of(other.get("/dashboard"))


def test_anonymous_visitors_are_sent_to_sign_in(story, make_client):
    visitor = make_client()
    for url in [*story.urls_to_read(), "/queue", "/dashboard"]:
        response = visitor.get(url)
        assert response.status_code == 302 and "/login" in response.location, url


def test_the_owner_never_sees_internal_notes(story):
    owner = story.clients["owner"]
    for url in [story.path, "/dashboard", f"{story.path}/revisions/2", f"{story.path}/diff"]:
        page = text_of(owner.get(url))
        assert "criminal record" not in page, url
        assert "Internal note" not in page and "internal note" not in page, url
    page = text_of(owner.get(story.path))
    assert "Photos attached." in page  # the conversation itself is there
    # The desk sees the note, marked as internal.
    desk_page = text_of(story.clients["second_editor"].get(story.path))
    assert "Internal note Edna Editor · " in desk_page and NOTE in desk_page


def test_a_contributor_cannot_forge_an_internal_note(story):
    owner = story.clients["owner"]
    response = owner.post(f"{story.path}/messages", {"body": "Hidden from the desk?", "internal": "y"},
                          page=story.path)
    assert response.status_code == 303
    # It went out as an ordinary message: the owner sees it, the desk sees it, and it is not marked internal.
    assert "Hidden from the desk?" in text_of(owner.get(story.path))
    desk_html = story.clients["editor"].get(story.path).get_data(as_text=True)
    notes = re.findall(r'<li class="tl-note">.*?</li>', desk_html, flags=re.S)
    assert len(notes) == 1 and "criminal record" in notes[0]
    assert "Hidden from the desk?" in text_of(story.clients["editor"].get(story.path))


def test_the_queue_is_for_the_desk(story):
    for key in ("owner", "other"):
        response = story.clients[key].get("/queue")
        assert response.status_code == 403
        assert HEADLINE not in response.get_data(as_text=True)
    for key in ("editor", "second_editor", "admin"):
        response = story.clients[key].get("/queue")
        assert response.status_code == 200
        assert HEADLINE in text_of(response)


@pytest.mark.parametrize("who", ["editor", "second_editor", "admin"])
def test_the_desk_sees_everything(story, who):
    client = story.clients[who]
    for url in story.urls_to_read():
        assert client.get(url).status_code == 200, url
    page = text_of(client.get(story.path))
    assert NOTE in page and "Photos attached." in page and "the-pass.png" in page
    download = client.get(f"{story.path}/attachments/{story.attachment_id}")
    assert download.data.startswith(b"\x89PNG") and b"IDAT" in download.data  # the photo, its metadata removed


def test_the_owner_reads_everything_of_their_own(story):
    owner = story.clients["owner"]
    for url in story.urls_to_read():
        assert owner.get(url).status_code == 200, url
