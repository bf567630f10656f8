"""Years of a desk's history, made up fast: people, pitches in every state, drafts, conversations, audit trails
and notifications, for the benchmarks (``flask --app workflow bench seed``).

Rows are written in bulk beside whatever the database already holds: PostgreSQL takes them through ``COPY``
(psycopg), SQLite through batched ``executemany``. Ids are handed out here (after the current highest), so that
a row can name the rows it belongs to without asking the database; the sequences are moved past them at the
end. Nothing goes through the ORM or the services: no email is sent, no task queued. The notifications it
writes are history (sent, or digested), never pending.

The spread is meant to look like a desk that has run for ``years``: more pitches each year than the last;
old pitches finished (published, declined, withdrawn) and recent ones still moving (pitched, assigned,
edited); twenty editors, one contributor for every 25 pitches, some far busier than others. The same
``seed`` gives the same data. ``Plan.arabic`` (0 unless asked) is the share of stories written in Arabic, as a
desk's Arabic reporters write it: some words with their short vowels, shadda and hamza, some without (what the
searches fold, workflow/core/search_text.py); with 0 the data are exactly what they were before Arabic came.
"""

from __future__ import annotations

import json
import random
import re
import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from workflow.articles.models import Section, Tag, submission_tags
from workflow.auth.passwords import hash_password
from workflow.core.search_text import joined
from workflow.extensions import db
from workflow.notifications.models import Notification
from workflow.people.models import Role, User
from workflow.submissions import activity
from workflow.submissions.counts import recount_states
from workflow.submissions.models import AuditEntry, Message, Revision, Submission
from workflow.submissions.workflow import State, find_transition

BENCH_DOMAIN = "bench.example.org"
BENCH_PASSWORD = "bench-password-2026"
EDITORS = 20
PITCHES_PER_CONTRIBUTOR = 25
BATCH = 5_000

PLACES = ["Kharkiv", "Odesa", "Zaporizhzhia", "Kherson", "Mykolaiv", "Dnipro", "Sumy", "Chernihiv", "Lviv",
          "Kyiv", "Pokrovsk", "Kramatorsk", "Sloviansk", "Izium", "Bucha", "Irpin", "Mariupol", "Berdiansk",
          "Vinnytsia", "Poltava", "Uzhhorod", "Chernivtsi", "Rivne", "Lutsk", "Ternopil", "Kropyvnytskyi"]
SUBJECTS = ["night bakers", "railway workers", "school teachers", "field medics", "grain farmers", "volunteer drivers",
            "deminers", "dentists", "librarians", "radio hosts", "miners", "fishermen", "nurses", "power engineers",
            "bus drivers", "orphanage staff", "water engineers", "street cleaners", "pharmacists", "lawyers",
            "veterans", "students", "choirs", "football clubs", "beekeepers", "firefighters", "vets", "priests"]
TWISTS = ["keep the lights on", "after the curfew", "under the drones", "count what was lost", "rebuild in winter",
          "wait for news from the front", "train the next shift", "move the harvest", "fight the paperwork",
          "open again", "run out of insulin", "find the missing", "clear the fields", "stay behind",
          "come home", "sue for damages", "learn to live with the sirens", "share the last generator"]
WORDS = ("the city council said shelling damaged a substation overnight and crews worked until dawn to restore "
         "power to the hospital while volunteers handed out water and blankets residents described queues at "
         "the only pharmacy still open and a school that moved its lessons underground teachers say attendance "
         "has doubled since the basement was fitted with lights and heaters the regional administration "
         "promised new shelters before the frost but contractors have not been paid since spring farmers near "
         "the front line plant around craters and mark unexploded shells with red paint one family showed "
         "receipts for a generator bought with savings meant for a wedding the mayor declined to comment on "
         "the figures which could not be independently verified local journalists have documented each strike "
         "since the first winter and shared their archive with prosecutors").split()
# Arabic: the same kinds of stories, in words written as reporters write them: most without diacritics, some
# with a fatha, a shadda or a tanween; hamza on its seat (أ إ ؤ ئ) and taa marbuta (ة) as they come.
PLACES_AR = ["خاركيف", "أوديسا", "زاباروجيا", "خيرسون", "ميكولايف", "دنيبرو", "سومي", "تشيرنيهيف", "لفيف", "كييف",
             "غزة", "رفح", "خان يونس", "دير البلح", "حلب", "إدلب", "الرقة", "دير الزور", "الموصل", "الفاشر"]
SUBJECTS_AR = ["خبّازو الليل", "عمّال السكك الحديدية", "معلّمو المدارس", "الأَطِبَّاء الميدانيون", "مزارعو القمح",
               "السائقون المتطوعون", "نازعو الألغام", "أطباء الأسنان", "أمناء المكتبات", "مذيعو الإذاعة",
               "الصيّادون", "الممرّضات", "مهندسو الكهرباء", "سائقو الحافلات", "الصيادلة", "المحامون", "الطلاب",
               "رجال الإطفاء", "مربّو النحل", "المسؤولون المحليون"]
TWISTS_AR = ["يُبقون الأنوار مضاءة", "بعد حظر التجوّل", "تحت المسيّرات", "يُحصون ما فُقد", "يعيدون البناء في الشتاء",
             "ينتظرون أخبار الجبهة", "يدرّبون المناوبة التالية", "ينقلون المحصول", "يحاربون الأوراق الرسمية",
             "يفتحون أبوابهم من جديد", "ينفد منهم الإنسولين", "يبحثون عن المفقودين", "يبقون رغم كل شيء",
             "يعودون إلى بيوتهم", "يتعلّمون العيش مع صفّارات الإنذار", "يتقاسمون آخر مولّد"]
WORDS_AR = ("قال مجلس المدينة إن القصف ألحق أضرارًا بمحطة الكهرباء ليلًا وعمل الفنيّون حتى الفجر لإعادة التيار إلى "
            "المستشفى بينما وزّع المتطوعون الماء والبطانيات ووصف السكان طوابير أمام الصيدلية الوحيدة التي ما زالت "
            "مفتوحة ومدرسةً نقلت دروسها إلى الملجأ ويقول المعلّمون إن الحضور تضاعف منذ تجهيز القبو بالإنارة والتدفئة "
            "ووعدت الإدارة المحلية بملاجئ جديدة قبل الصقيع لكنّ المقاولين لم يتقاضوا أجورهم منذ الربيع ويزرع "
            "المزارعون قرب خط الجبهة حول الحفر ويعلّمون القذائف غير المنفجرة بطلاء أحمر وأظهرت عائلة إيصالات مولّد "
            "اشترته بمدخرات كانت مخصّصة لعرس ورفض المسؤول التعليق على الأرقام التي تعذّر التحقق منها بشكل مستقل "
            "ووثّق الصحفيون المحليون كل ضربة منذ الشتاء الأول وسلّموا أرشيفهم إلى المدّعين العامّين ويقول الأَطِبَّاء "
            "إن الأدوية تصل متأخرة وإن سيارات الإسعاف تنتظر ساعات عند الحواجز").split()
SECTIONS = [("news", "News"), ("analysis", "Analysis"), ("reportage", "Reportage"), ("opinion", "Opinion"),
            ("culture", "Culture")]
TAGS = [place.lower() for place in PLACES[:12]] + ["energy", "health", "education", "agriculture", "justice",
                                                   "refugees", "reconstruction", "demining"]

# Final states: old pitches are finished; the last few months are still moving.
SETTLED = {State.PUBLISHED: 30, State.DECLINED: 52, State.WITHDRAWN: 8, State.EDITED: 1, State.ASSIGNED: 2,
           State.PITCHED: 7}
RECENT = {State.PUBLISHED: 14, State.DECLINED: 24, State.WITHDRAWN: 4, State.EDITED: 8, State.ASSIGNED: 22,
          State.PITCHED: 28}
RECENT_DAYS = 120
TRANSITION_EVENTS = {"assign": "submission.assigned", "decline": "submission.declined",
                     "mark_edited": "submission.edited", "publish": "submission.published",
                     "request_revision": "submission.revision_requested"}


@dataclass
class Plan:
    submissions: int
    years: int = 10
    seed: int = 2026
    arabic: float = 0.0  # the share of stories written in Arabic
    now: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))

    @property
    def contributors(self) -> int:
        return max(10, self.submissions // PITCHES_PER_CONTRIBUTOR)


@dataclass
class Loaded:
    """How many rows of each table the run wrote."""

    rows: dict[str, int] = field(default_factory=dict)

    def add(self, table: str, count: int) -> None:
        self.rows[table] = self.rows.get(table, 0) + count


class Prose:
    """Pools of one language's text, combined at random (the benchmarks measure rows, not prose)."""

    def __init__(self, pick: random.Random, words, places, subjects, twists, headline: str):
        self.places, self.subjects, self.twists, self.pattern = places, subjects, twists, headline
        self.sentences = [self._sentence(pick, words) for _ in range(400)]
        self.paragraphs = [" ".join(pick.choices(self.sentences, k=4)) for _ in range(300)]

    @staticmethod
    def _sentence(pick: random.Random, words) -> str:
        chosen = pick.choices(words, k=pick.randint(9, 18))
        return " ".join(chosen).capitalize() + "."

    def headline(self, r: random.Random) -> str:
        return self.pattern.format(place=r.choice(self.places), subject=r.choice(self.subjects),
                                   twist=r.choice(self.twists))

    def body(self, r: random.Random) -> str:
        return "\n\n".join(r.choices(self.paragraphs, k=r.randint(3, 5)))


class Writer:
    """Bulk rows into one table: COPY on PostgreSQL, batched executemany on SQLite."""

    def __init__(self, connection: sa.Connection):
        self.connection = connection
        self.postgres = connection.dialect.name == "postgresql"

    def write(self, table: sa.Table, columns: list[str], rows: Iterable[tuple]) -> int:
        if self.postgres:
            return self._copy(table, columns, rows)
        return self._insert(table, columns, rows)

    def _copy(self, table: sa.Table, columns: list[str], rows: Iterable[tuple]) -> int:
        raw = self.connection.connection.driver_connection  # psycopg.Connection
        count = 0
        with raw.cursor() as cursor, cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([json.dumps(value) if isinstance(value, dict) else value for value in row])
                count += 1
        return count

    def _insert(self, table: sa.Table, columns: list[str], rows: Iterable[tuple]) -> int:
        # Through the table's own types (datetimes as SQLite stores them, JSON, enums as their values).
        statement = table.insert()
        count, batch = 0, []
        for row in rows:
            batch.append(dict(zip(columns, row, strict=True)))
            if len(batch) >= BATCH:
                self.connection.execute(statement, batch)
                count += len(batch)
                batch = []
        if batch:
            self.connection.execute(statement, batch)
            count += len(batch)
        return count


def _next_id(connection: sa.Connection, table: sa.Table) -> int:
    return (connection.scalar(sa.select(sa.func.max(table.c.id))) or 0) + 1


def _move_sequences(connection: sa.Connection, tables: list[sa.Table]) -> None:
    """PostgreSQL: the next id each table hands out comes after the ones written here."""
    if connection.dialect.name != "postgresql":
        return  # SQLite takes the highest rowid + 1 (and AUTOINCREMENT's sqlite_sequence follows explicit ids)
    for table in tables:
        connection.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
            f"(SELECT coalesce(max(id), 1) FROM {table.name}))")


def _slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


class Generator:
    def __init__(self, plan: Plan, connection: sa.Connection, progress: Callable[[int], None] | None = None):
        self.plan = plan
        self.connection = connection
        self.random = random.Random(plan.seed)
        self.writer = Writer(connection)
        self.progress = progress or (lambda n: None)
        self.loaded = Loaded()
        self.english = Prose(self.random, WORDS, PLACES, SUBJECTS, TWISTS, "{place}: the {subject} who {twist}")
        # Arabic from random streams of its own: with no Arabic asked for, the English data stay what they were.
        self.arabic = Prose(random.Random(plan.seed + 1), WORDS_AR, PLACES_AR, SUBJECTS_AR, TWISTS_AR,
                            "{place}: {subject} {twist}")
        self.language = random.Random(plan.seed + 2)

    def prose(self) -> Prose:
        """The language of the next story."""
        arabic = self.plan.arabic > 0 and self.language.random() < self.plan.arabic
        return self.arabic if arabic else self.english

    # --- people ----------------------------------------------------------------------------------------------

    def people(self) -> tuple[list[int], list[int]]:
        """Editor and contributor ids: the bench's people already there, and as many more as the plan needs."""
        users = User.__table__
        existing = self.connection.execute(
            sa.select(users.c.id, users.c.role).where(users.c.email.like(f"%@{BENCH_DOMAIN}")).order_by(users.c.id)
        ).all()
        editors = [row.id for row in existing if row.role in (Role.EDITOR, Role.ADMIN)]
        contributors = [row.id for row in existing if row.role is Role.CONTRIBUTOR]
        password = hash_password(BENCH_PASSWORD)  # one hash for everyone: argon2 is slow on purpose
        start = _next_id(self.connection, users)
        rows = []
        created = self.plan.now - timedelta(days=365 * self.plan.years + 30)
        for n in range(len(editors), EDITORS):
            rows.append(self._person(start + len(rows), f"editor{n + 1}", Role.ADMIN if n == 0 else Role.EDITOR,
                                     password, created))
        editors += [row[0] for row in rows]
        for n in range(len(contributors), self.plan.contributors):
            rows.append(self._person(start + len(rows), f"contributor{n + 1}", Role.CONTRIBUTOR, password, created))
        contributors += [row[0] for row in rows if row[5] == Role.CONTRIBUTOR.value]
        self.loaded.add("users", self.writer.write(users, USER_COLUMNS, rows))
        self.emails = dict(self.connection.execute(
            sa.select(users.c.id, users.c.email).where(users.c.email.like(f"%@{BENCH_DOMAIN}"))).all())
        return editors, contributors

    def _person(self, user_id: int, handle: str, role: Role, password: str, created: datetime) -> tuple:
        first = self.random.choice(["Olena", "Taras", "Iryna", "Mykola", "Sofia", "Andriy", "Kateryna", "Oleh",
                                    "Nadia", "Yuri", "Marta", "Bohdan"])
        last = self.random.choice(["Koval", "Shevchenko", "Bondar", "Melnyk", "Tkachenko", "Kravets", "Marchenko",
                                   "Lysenko", "Savchuk", "Hnatiuk", "Petrenko", "Rudenko"])
        name = f"{first} {last}"
        return (user_id, f"{handle}@{BENCH_DOMAIN}", password, name, name, role.value, created,
                created, secrets.token_urlsafe(9), "")

    # --- sections and tags -----------------------------------------------------------------------------------

    def sections_and_tags(self) -> tuple[list[int], list[int]]:
        sections, tags = Section.__table__, Tag.__table__
        for slug, name in SECTIONS:
            if self.connection.scalar(sa.select(sections.c.id).where(sections.c.slug == slug)) is None:
                self.connection.execute(sections.insert().values(slug=slug, name=name, description="",
                                                                 position=len(SECTIONS), created_at=self.plan.now))
        for slug in TAGS:
            if self.connection.scalar(sa.select(tags.c.id).where(tags.c.slug == slug)) is None:
                self.connection.execute(tags.insert().values(slug=slug, name=slug.capitalize()))
        return (list(self.connection.scalars(sa.select(sections.c.id))),
                list(self.connection.scalars(sa.select(tags.c.id))))

    # --- submissions and what grows from them ----------------------------------------------------------------

    def run(self) -> Loaded:
        editors, contributors = self.people()
        sections, tags = self.sections_and_tags()
        # Busy and quiet contributors: a few write a lot.
        weights = [1.0 / (1 + n % 40) for n in range(len(contributors))]
        start = {table.name: _next_id(self.connection, table)
                 for table in (Submission.__table__, Revision.__table__, Message.__table__,
                               AuditEntry.__table__, Notification.__table__)}
        stories = _Stories(self, editors, contributors, weights, sections, tags, start)
        for chunk_start in range(0, self.plan.submissions, BATCH * 4):
            count = min(BATCH * 4, self.plan.submissions - chunk_start)
            stories.make(count)
            for table, columns, rows in stories.tables():
                self.loaded.add(table.name, self.writer.write(table, columns, rows))
            self.progress(count)
        _move_sequences(self.connection, [User.__table__, Submission.__table__, Revision.__table__,
                                          Message.__table__, AuditEntry.__table__, Notification.__table__])
        return self.loaded


USER_COLUMNS = ["id", "email", "password_hash", "display_name", "byline_name", "role", "email_confirmed_at",
                "created_at", "public_id", "public_bio"]
SUBMISSION_COLUMNS = [
    "id", "contributor_id", "editor_id", "state", "headline", "summary", "angle", "sources", "proposed_words",
    "proposed_deadline", "experience", "deadline", "assigned_words", "fee", "published_at", "slug",
    "published_headline", "published_dek", "published_body", "section_id", "seo_description", "created_at",
    "pitched_at", "last_activity_at", "last_activity_by_id", "last_activity", "version", "search_text",
    "published_search_text"]
REVISION_COLUMNS = ["id", "submission_id", "number", "author_id", "kind", "headline", "dek", "body", "note",
                    "version", "created_at"]
MESSAGE_COLUMNS = ["id", "submission_id", "author_id", "body", "internal", "created_at"]
AUDIT_COLUMNS = ["id", "submission_id", "actor_id", "action", "from_state", "to_state", "comment", "version",
                 "created_at"]
NOTIFICATION_COLUMNS = ["id", "event", "recipient_id", "email", "submission_id", "params", "status", "attempts",
                        "attempts_at_retry", "created_at", "sent_at", "in_app", "read_at"]


class _Stories:
    """One chunk of submissions at a time, with their drafts, messages, audit rows and notifications."""

    def __init__(self, generator: Generator, editors, contributors, weights, sections, tags, start):
        self.g = generator
        self.r = generator.random
        self.editors, self.contributors, self.weights = editors, contributors, weights
        self.sections, self.tags = sections, tags
        self.next = dict(start)
        self.emails = generator.emails
        self.clear()

    def clear(self) -> None:
        self.rows = {name: [] for name in ("submissions", "revisions", "messages", "audit_entries",
                                           "notifications", "submission_tags")}

    def tables(self) -> Iterator[tuple[sa.Table, list[str], list[tuple]]]:
        yield Submission.__table__, SUBMISSION_COLUMNS, self.rows["submissions"]
        yield Revision.__table__, REVISION_COLUMNS, self.rows["revisions"]
        yield Message.__table__, MESSAGE_COLUMNS, self.rows["messages"]
        yield AuditEntry.__table__, AUDIT_COLUMNS, self.rows["audit_entries"]
        yield Notification.__table__, NOTIFICATION_COLUMNS, self.rows["notifications"]
        yield submission_tags, ["submission_id", "tag_id"], self.rows["submission_tags"]

    def _id(self, table: str) -> int:
        value = self.next[table]
        self.next[table] += 1
        return value

    def make(self, count: int) -> None:
        self.clear()
        plan = self.g.plan
        span = 365 * plan.years
        contributors = self.r.choices(self.contributors, weights=self.weights, k=count)
        for contributor in contributors:
            # More pitches every year: the age is skewed towards the present.
            age_days = span * (self.r.random() ** 1.6)
            created = plan.now - timedelta(days=age_days, seconds=self.r.randint(0, 86_399))
            odds = RECENT if age_days < RECENT_DAYS else SETTLED
            state = self.r.choices(list(odds), weights=list(odds.values()))[0]
            self._story(contributor, created, state)

    def _story(self, contributor: int, created: datetime, state: State) -> None:
        r, g = self.r, self.g
        sid = self._id("submissions")
        prose = g.prose()
        headline = prose.headline(r)
        editor = r.choice(self.editors)
        version = 1
        moments = [created]

        def later(days_low: float, days_high: float) -> datetime:
            moment = min(moments[-1] + timedelta(days=r.uniform(days_low, days_high)), g.plan.now)
            moments.append(moment)
            return moment

        events = [("pitch", None, State.PITCHED, contributor, created)]
        path = {
            State.PITCHED: [],
            State.DECLINED: [("decline", State.PITCHED, State.DECLINED, editor)],
            State.WITHDRAWN: [("withdraw", State.PITCHED, State.WITHDRAWN, contributor)],
            State.ASSIGNED: [("assign", State.PITCHED, State.ASSIGNED, editor)],
            State.EDITED: [("assign", State.PITCHED, State.ASSIGNED, editor),
                           ("mark_edited", State.ASSIGNED, State.EDITED, editor)],
            State.PUBLISHED: [("assign", State.PITCHED, State.ASSIGNED, editor),
                              ("mark_edited", State.ASSIGNED, State.EDITED, editor),
                              ("publish", State.EDITED, State.PUBLISHED, editor)],
        }[state]
        if state is State.PUBLISHED and r.random() < 0.2:  # one round of revision on the way
            path = path[:2] + [("request_revision", State.EDITED, State.ASSIGNED, editor),
                               ("mark_edited", State.ASSIGNED, State.EDITED, editor)] + path[2:]
        for action, source, target, actor in path:
            events.append((action, source, target, actor, later(1, 12)))

        commissioned = state in (State.ASSIGNED, State.EDITED, State.PUBLISHED)
        assigned_at = next((when for action, *_, when in events if action == "assign"), None)
        deadline = (assigned_at + timedelta(days=r.randint(7, 30))).date() if assigned_at else None
        published_at = events[-1][4] if state is State.PUBLISHED else None

        # Drafts: the contributor's while the story is assigned, then the editor's edit before marking it edited.
        if commissioned:
            edited_at = next((when for action, *_, when in events if action == "mark_edited"), None)
            written_at = assigned_at + ((edited_at or g.plan.now) - assigned_at) * r.uniform(0.3, 0.9)
            drafts = [(contributor, "contributor", written_at)]
            if edited_at:
                drafts.append((editor, "editor", edited_at - timedelta(hours=r.uniform(0.1, 3))))
            for number, (author, kind, when) in enumerate(drafts, start=1):
                version += 1
                self.rows["revisions"].append((
                    self._id("revisions"), sid, number, author, kind, headline, r.choice(prose.sentences),
                    prose.body(r), "", version, max(when, assigned_at)))

        # The conversation: a few messages, some of them the desk's internal notes, while the story moved.
        for _ in range(r.choice((0, 0, 1, 1, 2, 3))):
            internal = r.random() < 0.25
            author = editor if internal or r.random() < 0.5 else contributor
            when = created + (moments[-1] - created) * r.random()
            self.rows["messages"].append((self._id("messages"), sid, author, r.choice(prose.sentences), internal,
                                          when))

        # The audit trail and the contributor's notifications for each transition.
        last_actor, last_action = contributor, activity.PITCHED
        for action, source, target, actor, when in events:
            version += 1 if source is not None else 0
            self.rows["audit_entries"].append((self._id("audit_entries"), sid, actor, action,
                                               source.value if source else None, target.value, "", version, when))
            event = TRANSITION_EVENTS.get(action)
            if event:
                read = when + timedelta(hours=r.randint(1, 72)) if r.random() < 0.8 else None
                self.rows["notifications"].append((
                    self._id("notifications"), event, contributor, self.emails[contributor], sid,
                    {"submission_id": sid, "headline": headline}, "sent", 1, 0, when,
                    when + timedelta(seconds=r.randint(1, 30)), True, read))
            rule = find_transition(source, action) if source is not None else None
            last_actor, last_action = actor, activity.done(rule.done) if rule is not None else activity.PITCHED

        slug = section = dek = body = None
        if state is State.PUBLISHED:
            slug = f"{_slugify(headline)}-{sid}"
            section = r.choice(self.sections)
            dek, body = r.choice(prose.sentences), prose.body(r)
            for tag in r.sample(self.tags, 2):
                self.rows["submission_tags"].append((sid, tag))
        summary = " ".join(r.choices(prose.sentences, k=2))
        self.rows["submissions"].append((
            sid, contributor, editor if commissioned or state is State.DECLINED else None, state.value, headline,
            summary, r.choice(prose.sentences), r.choice(prose.sentences), r.choice((800, 1200, 1500, None)),
            None, "", deadline, r.choice((800, 1000, 1200)) if commissioned else None,
            r.choice((150, 200, 300)) if commissioned else None, published_at, slug,
            headline if slug else None, dek, body, section, None, created, created, max(moments), last_actor,
            last_action, version, joined(headline, summary), joined(headline, dek, body) if slug else None))


def seed(plan: Plan, progress: Callable[[int], None] | None = None) -> Loaded:
    """Write ``plan.submissions`` submissions (and their people, drafts, messages, audit rows, notifications)
    in one transaction; the per-state counts are set right at the end."""
    with db.engine.begin() as connection:
        postgres = connection.dialect.name == "postgresql"
        if postgres:  # a million trigger calls would cost more than one count at the end
            connection.exec_driver_sql("ALTER TABLE submissions DISABLE TRIGGER submissions_state_counts_insert_delete")
        loaded = Generator(plan, connection, progress).run()
        if postgres:
            connection.exec_driver_sql("ALTER TABLE submissions ENABLE TRIGGER submissions_state_counts_insert_delete")
        recount_states(connection)
    return loaded

