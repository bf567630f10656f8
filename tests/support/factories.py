"""People, submissions and published stories, made through the real services and committed like a request."""

from __future__ import annotations

import struct
import time
import zlib
from datetime import timedelta

import sqlalchemy as sa

from tests.support.forms import PASSWORD
from workflow.core.models import utcnow
from workflow.extensions import db


class Factory:
    """Build people and submissions through the real services, committed like a request would."""

    def __init__(self, app):
        self.app = app
        self._n = 0

    def _next(self) -> int:
        self._n += 1
        return self._n

    def user(self, role: str = "contributor", email: str | None = None, confirmed: bool = True,
             name: str | None = None, byline: str | None = None, discreet_emails: bool = False):
        """A person, confirmed unless asked. Most tests read what an email says, so people made here chose the
        detailed emails; a test about discreet emails asks for them (registration's default is tested there)."""
        from workflow.auth import services
        from workflow.people.models import Role

        n = self._next()
        with self.app.app_context():
            user = services.create_user(email or f"{role}{n}@example.org", PASSWORD, name or f"{role.title()} {n}",
                                        byline, role=Role(role), confirmed=confirmed,
                                        discreet_emails=discreet_emails)
            db.session.commit()
            return _Ref(id=user.id, email=user.email, display_name=user.display_name, byline_name=user.byline_name)

    def submission(self, contributor, state: str = "pitched", editor=None, headline: str | None = None,
                   summary: str = "A story about bread queues at night.", with_draft: bool | None = None):
        """A submission walked through the real workflow up to ``state``, by the shortest path the workflow table
        allows, with a draft (written as soon as the contributor may) when ``with_draft`` says so or the path
        needs one."""
        from workflow.people.models import User
        from workflow.submissions import permissions, services
        from workflow.submissions.models import Submission
        from workflow.submissions.workflow import Actor, Requirement, State

        n = self._next()
        with self.app.app_context():
            author = db.session.get(User, contributor.id)
            # Where the contributor may write, asked of the permissions with a story that is never saved.
            path = self._path_to(State(state), with_draft, lambda s: permissions.can_write_draft(
                author, Submission(state=s, contributor_id=author.id)))
            if editor is None and any(not isinstance(step, str) and step.actor is not Actor.OWNER for step in path):
                raise ValueError(f"a {state} submission needs an editor= to act on it")
            submission = services.submit_pitch(author, services.PitchInput(
                headline=headline or f"Story number {n}", summary=summary, angle="Why now.",
                sources="Residents.", proposed_words=1000, proposed_deadline=None, experience=""))
            desk = db.session.get(User, editor.id) if editor else None
            for step in path:
                if isinstance(step, str):  # "draft"
                    services.save_draft(author, submission, submission.headline, "The dek.",
                                        "First paragraph.\n\nSecond paragraph.")
                    continue
                fields = {}
                if Requirement.ASSIGNMENT in step.requires:
                    fields.update(editor_id=desk.id, deadline=utcnow().date() + timedelta(days=10))
                if Requirement.COMMENT in step.requires:
                    fields.update(comment="Not for us.")
                services.transition(author if step.actor is Actor.OWNER else desk, submission,
                                    services.TransitionInput(action=step.action, seen_version=submission.version,
                                                             **fields))
            db.session.commit()
            stored = db.session.get(Submission, submission.id)
            assert stored.state.value == state, f"the factory's submission is {stored.state.value}, not {state}"
            return _Ref(id=stored.id, version=stored.version, state=stored.state.value, headline=stored.headline)

    @staticmethod
    def _path_to(target, with_draft: bool | None, can_draft) -> list:
        """The fewest steps from a new pitch to ``target`` over the workflow table's rows, a step being a row or
        "draft" (possible where ``can_draft(state)``): with a draft if ``with_draft``, without one if it is False,
        and with one only if a row on the way requires it if it is None."""
        from collections import deque

        from workflow.submissions.workflow import INITIAL_STATE, TRANSITIONS, Requirement

        start = (INITIAL_STATE, False)
        paths, todo = {start: []}, deque([start])
        while todo:
            state, drafted = todo.popleft()
            moves = [(t, (t.target, drafted)) for t in TRANSITIONS
                     if t.source is state and (drafted or Requirement.DRAFT not in t.requires)]
            if not drafted and with_draft is not False and can_draft(state):
                moves.append(("draft", (state, True)))
            for step, node in moves:
                if node not in paths:
                    paths[node] = [*paths[(state, drafted)], step]
                    todo.append(node)
        ends = [(target, with_draft)] if with_draft is not None else [(target, False), (target, True)]
        found = [paths[end] for end in ends if end in paths]
        if not found:
            raise ValueError(f"the workflow table has no way to a {target.value} submission "
                             f"{'with' if with_draft else 'without'} a draft")
        return min(found, key=len)

    def message(self, author, submission, body: str, internal: bool = False):
        from workflow.people.models import User
        from workflow.submissions import services
        from workflow.submissions.models import Submission

        with self.app.app_context():
            services.post_message(db.session.get(User, author.id), db.session.get(Submission, submission.id), body,
                                  internal=internal)
            db.session.commit()

    def version_of(self, submission) -> int:
        from workflow.submissions.models import Submission

        with self.app.app_context():
            return db.session.get(Submission, submission.id).version


class _Ref:
    """A plain record of what a factory made (no session attached)."""

    def __init__(self, **fields):
        self.__dict__.update(fields)

    def __repr__(self) -> str:
        return f"<{self.__dict__}>"


def png_bytes() -> bytes:
    """A real 1x1 PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


def publish(app, factory, *, headline="Night shifts at the bakery", dek="Bread keeps a city going.",
             body="First paragraph.\n\nSecond paragraph.", byline="R. Field"):
    """A story written by a contributor with a pen name, walked through the desk to publication."""
    from workflow.people.models import User
    from workflow.submissions import services
    from workflow.submissions.models import Submission

    editor = factory.user("editor")
    reporter = factory.user(byline=byline)
    story = factory.submission(reporter, "assigned", editor=editor, headline=headline, with_draft=False)
    with app.app_context():
        submission = db.session.get(Submission, story.id)
        services.save_draft(db.session.get(User, reporter.id), submission, headline, dek, body)
        for action in ("mark_edited", "publish"):
            services.transition(db.session.get(User, editor.id), submission, services.TransitionInput(
                action=action, seen_version=submission.version))
        db.session.commit()
        published = db.session.get(Submission, story.id)
        assert published.state.value == "published" and published.slug, (published.state, published.slug)
        return published.slug, editor


def unpublish(app, factory, slug: str, reason: str = "A source asked us to.") -> None:
    """An admin takes the story at ``slug`` down (it goes back to edited)."""
    from workflow.people.models import User
    from workflow.submissions import services
    from workflow.submissions.models import Submission

    admin = factory.user("admin")
    with app.app_context():
        story = db.session.scalar(sa.select(Submission).where(Submission.slug == slug))
        services.transition(db.session.get(User, admin.id), story, services.TransitionInput(
            action="unpublish", seen_version=story.version, comment=reason))
        db.session.commit()
        assert db.session.get(Submission, story.id).state.value == "edited", "the story is still published"


def seed_desk(factory):
    """People and a spread of submissions, so pages look like a working day on the desk."""
    editor = factory.user("editor", email="dana@example.org", name="Dana Haddad")
    other = factory.user("editor", email="jonas@example.org", name="Jonas Weber")
    rana = factory.user("contributor", email="rana@example.org", name="Rana Field", byline="R. Field")
    sami = factory.user("contributor", email="sami@example.org", name="Sami Khoury")
    made = {
        "bakers": factory.submission(
            rana, headline="The night bakers of the old city",
            summary="Bakers work through the curfew to keep bread on the shelves."),
        "school": factory.submission(
            sami, state="assigned", editor=editor, headline="Six teachers keep a school open under shelling",
            summary="Two hundred pupils and a basement timetable."),
        "clinic": factory.submission(
            rana, state="assigned", editor=other, headline="Inside the clinic that treats both sides",
            summary="A field hospital that asks no questions."),
        "border": factory.submission(
            sami, state="edited", editor=editor, headline="The border crossing that opens two hours a day",
            summary="Aid trucks, students and the sick share one narrow window."),
        "radio": factory.submission(
            rana, state="published", editor=other, headline="Radio stations that broadcast from car boots",
            summary="Local journalists move every night to stay on air."),
        "wedding": factory.submission(
            sami, state="declined", editor=editor, headline="Wedding season returns to a battered town",
            summary="Musicians and tailors count the first good month in years."),
    }
    with factory.app.app_context():
        from workflow.submissions.models import Submission

        db.session.execute(sa.update(Submission).where(Submission.id == made["school"].id)
                           .values(deadline=utcnow().date() - timedelta(days=2)))
        db.session.commit()
    factory.message(editor, made["school"], "Can you add a voice from the parents' committee?")
    factory.message(sami, made["school"], "Yes: I meet the chair on Thursday.")
    factory.message(editor, made["school"], "Check the pupil numbers with the ministry.", internal=True)
    return {"editor": editor, "other": other, "rana": rana, "sami": sami, **made}


def large_png(width: int = 7200, height: int = 5400) -> bytes:
    """A whole PNG of width × height black pixels (38.9 megapixels by default) in about 120 KB: rows of zeros
    compress a thousandfold. Written row by row, so the test never holds the pixels either."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    packer, row, parts = zlib.compressobj(9), b"\x00" * (1 + 3 * width), []
    for _ in range(height):
        parts.append(packer.compress(row))
    parts.append(packer.flush())
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", b"".join(parts)) + chunk(b"IEND", b""))


def prepare_images(app, timeout: float = 60.0) -> int:
    """What a worker does with the photos uploaded so far: the task's own body, run here, for each photo still
    being prepared. The session's worker may hold some: then wait until it has finished them."""
    from workflow.articles.models import Image, ImageStatus
    from workflow.articles.tasks import prepare_image

    prepared, deadline = 0, time.monotonic() + timeout
    with app.app_context():
        while True:
            ids = db.session.scalars(sa.select(Image.id).where(Image.status == ImageStatus.PROCESSING)
                                     .order_by(Image.id)).all()
            db.session.rollback()
            if not ids:
                break
            prepared += sum(prepare_image.run(image_id) in ("ready", "failed") for image_id in ids)
            if time.monotonic() > deadline:
                raise AssertionError(f"images {ids} are still being prepared after {timeout} s")
            time.sleep(0.1)
        db.session.remove()
    return prepared
