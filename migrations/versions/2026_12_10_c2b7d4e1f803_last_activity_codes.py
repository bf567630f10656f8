"""A story's last activity is kept as a code, worded for each reader in their language: the English sentences
already stored ("Olga pitched the story") become the codes they say (workflow/submissions/activity.py).

Revision ID: c2b7d4e1f803
Revises: c7d2f9a41e60
Create Date: 2026-12-10 09:00:00.000000

"""
import re
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c2b7d4e1f803'
down_revision = 'c7d2f9a41e60'
branch_labels = None
depends_on = None

# What followed the actor's name, and the code it becomes. A copy, as this revision wrote it: the application's
# table may change later, this migration must not.
FIXED = {
    "pitched the story": "pitched",
    "sent a message": "message",
    "set how the story's page looks": "page",
    "changed the translation of the story": "translation",
    "cancelled the scheduled publication": "unscheduled",
    **{done: f"done:{done.replace(' ', '-')}" for done in (
        "assigned the story", "declined the pitch", "killed the story", "marked the story edited",
        "asked for a revision", "published the story", "unpublished the story", "reopened the pitch",
        "withdrew the pitch", "withdrew the story")},
}
DELETED = "The contributor's account was deleted"
REVISION = re.compile(r" (saved a draft|edited the draft) \(revision (\d+)\)$")
SCHEDULED = re.compile(r" scheduled publication for (\d{2} \w{3} \d{4}, \d{2}:\d{2}) UTC$")

submissions = sa.table("submissions", sa.column("id", sa.Integer), sa.column("last_activity", sa.String),
                       sa.column("last_activity_by_id", sa.Integer))
users = sa.table("users", sa.column("id", sa.Integer), sa.column("display_name", sa.String))


def upgrade():
    bind = op.get_bind()
    for words, code in FIXED.items():
        bind.execute(submissions.update().where(submissions.c.last_activity.like(f"% {words}"))
                     .values(last_activity=code))
    bind.execute(submissions.update().where(submissions.c.last_activity == DELETED).values(last_activity="deleted"))
    rows = bind.execute(sa.select(submissions.c.id, submissions.c.last_activity).where(sa.or_(
        submissions.c.last_activity.like("% (revision %)"),
        submissions.c.last_activity.like("% scheduled publication for %")))).all()
    for row_id, text in rows:
        if match := REVISION.search(text):
            code = f"{'edit' if match[1].startswith('edited') else 'draft'}:{match[2]}"
        elif match := SCHEDULED.search(text):
            at = datetime.strptime(match[1], "%d %b %Y, %H:%M").replace(tzinfo=UTC)
            code = f"scheduled:{at.isoformat(timespec='minutes')}"
        else:
            continue
        bind.execute(submissions.update().where(submissions.c.id == row_id).values(last_activity=code))


def downgrade():
    bind = op.get_bind()
    rows = bind.execute(sa.select(submissions.c.id, submissions.c.last_activity, users.c.display_name)
                        .select_from(submissions.outerjoin(users, users.c.id == submissions.c.last_activity_by_id))
                        .where(submissions.c.last_activity.not_like("% %"))).all()
    words = {code: text for text, code in FIXED.items()}
    for row_id, code, name in rows:
        kind, _sep, argument = code.partition(":")
        if code == "deleted":
            text = DELETED
        elif code in words:
            text = f"{name} {words[code]}"
        elif kind in ("draft", "edit"):
            text = f"{name} {'edited the draft' if kind == 'edit' else 'saved a draft'} (revision {argument})"
        elif kind == "scheduled":
            text = f"{name} scheduled publication for {datetime.fromisoformat(argument).strftime('%d %b %Y, %H:%M')} UTC"
        else:
            continue
        bind.execute(submissions.update().where(submissions.c.id == row_id).values(last_activity=text[:200]))
