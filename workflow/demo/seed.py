"""Demo data for the quick start: people and about thirty submissions spread over every state.

Among them, for the schedule to show what it does: a fresh pitch still within the response promise and older
ones past it, drafts past their deadline, and a story due tomorrow (its "due soon" reminder goes out with the
first run of beat). The published stories have what readers see: sections, tags, a description, a top photo
(drawn by ``pictures.py``) with its caption and credit, a pull quote and, in some, a photo in the body; one
edited story is scheduled for tomorrow morning. One published story is in Arabic, the translation of an English
one: each page links to the other, and the Arabic one reads right to left.

Everything goes through the real services, so the audit trail, revisions and messages are what the desk
would have written. The notifications those past events created are dropped: nobody should be emailed
about history. Two messages written "now" at the end ring the bells and reach the mail catcher.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pyotp
import sqlalchemy as sa
from tqdm import tqdm

from workflow.articles import editorial, images
from workflow.articles.models import Section
from workflow.auth import second_factor
from workflow.auth import services as accounts
from workflow.core.models import clock_set_to
from workflow.core.transaction import discard_after_commit
from workflow.demo.pictures import landscape
from workflow.extensions import db
from workflow.notifications.models import Notification
from workflow.notifications.outbox import forget_outbox
from workflow.people.models import Role, User
from workflow.submissions import services
from workflow.submissions.models import Submission
from workflow.submissions.workflow import State

DEMO_PASSWORD = "demo-password-2026"

PEOPLE = [
    ("admin@example.org", "Amira Haddad", "Amira Haddad", Role.ADMIN),
    ("editor@example.org", "Jonas Weber", "Jonas Weber", Role.EDITOR),
    ("editor2@example.org", "Lina Sørensen", "Lina Sørensen", Role.EDITOR),
    ("reporter@example.org", "Samir Khoury", "Samir Khoury", Role.CONTRIBUTOR),
    ("reporter2@example.org", "Nour Aziz", "A. Correspondent", Role.CONTRIBUTOR),
    ("reporter3@example.org", "Daniel Osei", "Daniel Osei", Role.CONTRIBUTOR),
    ("reporter4@example.org", "هدى الخطيب", "هدى خ.", Role.CONTRIBUTOR),
]
# Who reads the desk in another language than the desk's default, and in which time zone: the desk speaks to
# them in it, on its pages and in its emails.
LANGUAGES = {"reporter4@example.org": ("ar", "Asia/Beirut")}

SUBJECTS = [
    ("Bakeries in the north run on one generator", "How neighbourhood ovens keep bread coming through the blackouts."),
    ("The teachers who kept a school open under shelling", "Six teachers, 200 pupils, and a basement timetable."),
    ("Inside the clinic that treats both sides", "A field hospital that asks no questions and turns no one away."),
    ("Farmers return to fields sown with mines", "Clearance teams cannot keep pace with the planting season."),
    ("The border crossing that opens two hours a day", "Aid trucks, students and the sick share one narrow window."),
    ("Radio stations that broadcast from car boots", "Local journalists move every night to stay on air."),
    ("Water engineers mend pipes between ceasefires", "A utility crew works in the gaps of a fragile truce."),
    ("Wedding season returns to a battered town", "Musicians and tailors count the first good month in years."),
    ("How families trace the missing through messaging apps", "Volunteer networks keep lists the authorities do not."),
    ("Students sit exams in a city without electricity", "Candles, generators and a ministry that keeps moving dates."),
    ("The last pharmacy on the front line", "A pharmacist rations insulin and advice."),
    ("A football league for displaced teenagers", "Matches on a dusty pitch give a camp its weekly rhythm."),
    ("Night shifts at the bread queue", "Women take turns holding places in lines that start at 3 a.m."),
    ("Satellite images reveal a vanished village", "Researchers match pictures with survivors' accounts."),
    ("Cash shortages push traders to barter", "Fuel for flour, phone credit for medicine."),
    ("The interpreters nobody thanks", "Local fixers weigh danger against a living."),
    ("Librarians hide manuscripts from looters", "A private archive moves house three times in a year."),
    ("Beekeepers count losses after the fires", "Hives burned, honey prices soar, and a craft is at risk."),
    ("Why aid convoys stop at the river", "Permits, checkpoints and a bridge that is half repaired."),
    ("Tailors turn uniforms into school clothes", "A workshop that once sewed for soldiers now sews for children."),
    ("The ambulance drivers of the ring road", "Twelve drivers, four vehicles, and a map of safe routes."),
    ("A town votes while the front moves closer", "Local elections go ahead with ballot boxes in basements."),
    ("Chess in the shelter", "A tournament brings neighbours together underground."),
    ("Journalists learn first aid before reporting", "Training courses fill up as risks grow."),
    ("The bus line that never stopped", "Drivers who kept a route running through three sieges."),
    ("Refugees rebuild a market across the border", "Traders recreate the stalls they left behind."),
    ("Doctors use drones to deliver blood", "A pilot project cuts delivery times to remote clinics."),
    ("The orphanage that became a shelter", "Carers take in whole families when the shelling starts."),
    ("Winter fuel prices split a neighbourhood", "Who can afford heat, and who burns furniture."),
    ("A museum catalogues war damage", "Curators photograph every cracked column."),
]

BODY_PARAGRAPHS = [
    "The morning starts before dawn, when the first people arrive with plastic bags and thermos flasks.",
    "Nobody here calls it resilience. They call it the only thing left to do.",
    "Local officials say supplies should improve next month, but few people believe the promise.",
    "“We count the days by what we can still do,” one resident said, asking that her name be withheld.",
    "Aid groups estimate that tens of thousands of people depend on the service each week.",
    "By evening the street is quiet again, and the generator hums until the fuel runs out.",
]
# The published demo stories read like stories: each paragraph once, in an order that holds together.
STORY_OPENINGS = [
    "The first sound of the day is the generator, coughing into life a little after five. By six there is a queue.",
    "For most of the year the road in was closed. When it opened again in the spring, the first thing people "
    "did was come back to see what was left.",
    "It took three weeks of messages and two cancelled meetings before anyone agreed to talk, and then it was "
    "on one condition: no names.",
]
STORY_MIDDLE = [
    "Prices have doubled since the summer. Flour, when it comes, comes in sacks stamped with the names of aid "
    "agencies; fuel comes in plastic cans from across the river, and nobody asks where it was filled.",
    "The local council still meets, in the basement of the old post office, on Tuesdays. Its members argue "
    "about the same things councils argue about everywhere: rubbish, water, who pays for the school roof.",
    "“People think we are waiting for the war to end,” said a man who runs the only repair shop still open on "
    "the main street. “We are not waiting. We are fixing radios.”",
    "Aid groups estimate that tens of thousands of people depend on the service each week. They say the number "
    "has grown every month this year, as families from villages nearer the front move in with relatives.",
    "Phone coverage comes and goes with the shelling. When it goes, news travels the old way: by word of mouth, "
    "from the bakery to the mosque to the bus stop, changing a little at each.",
    "Children have school three days a week, in shifts, because there are not enough rooms with windows that "
    "still close. Teachers bring their own chalk.",
    "Local officials say supplies should improve next month. Few people believe the promise, and fewer plan "
    "around it.",
]
STORY_ENDINGS = [
    "By evening the street is quiet again, and the generator hums until the fuel runs out.",
    "Asked what she would do when it is over, she laughed. “Sleep,” she said. “And then the washing.”",
    "The queue will form again tomorrow before dawn. Nobody here calls it resilience. They call it Tuesday.",
]

# How far along the workflow each demo submission goes, in order: the target state of each.
PLAN = (
    [State.PITCHED] * 8 + [State.ASSIGNED] * 7 + [State.EDITED] * 3 + [State.PUBLISHED] * 6
    + [State.DECLINED] * 4 + [State.WITHDRAWN]
)
# Which published story has its Arabic translation (:data:`TRANSLATION`), among the published of PLAN.
TRANSLATED = 0
# reporter@example.org's: a pitch sent yesterday evening (the older pitches are all past the response promise),
# and a commissioned story due at the end of tomorrow.
FRESH_PITCH = 0
DUE_TOMORROW = 9


def _body(rng: random.Random, paragraphs: int) -> str:
    return "\n\n".join(rng.choice(BODY_PARAGRAPHS) for _ in range(paragraphs))


def demo_already_loaded() -> bool:
    return db.session.scalar(sa.select(User.id).where(User.email == PEOPLE[0][0])) is not None


def load_demo(progress: bool = True, seed: int = 7) -> dict:
    """Create the demo people and submissions in the current transaction; the caller commits."""
    rng = random.Random(seed)
    people: dict[str, User] = {}
    steps = len(PEOPLE) + len(PLAN)
    bar = tqdm(total=steps + 1, desc="Loading demo data", unit="item", disable=not progress)
    start = datetime.now(UTC) - timedelta(days=60)
    with clock_set_to(start):
        for email, name, byline, role in PEOPLE:
            locale, time_zone = LANGUAGES.get(email, (None, None))
            people[email] = accounts.create_user(email, DEMO_PASSWORD, name, byline, role=role, confirmed=True,
                                                 locale=locale, time_zone=time_zone)
            if role.is_staff:  # the desk's accounts come with an authenticator app: `flask users code EMAIL`
                second_factor.enrol_with_secret(people[email], pyotp.random_base32())
            bar.update()
    editors = [people["editor@example.org"], people["editor2@example.org"]]
    admin = people["admin@example.org"]
    contributors = [people["reporter@example.org"], people["reporter2@example.org"],
                    people["reporter3@example.org"]]

    sections = _sections()
    for index, (target, (headline, dek)) in enumerate(zip(PLAN, SUBJECTS)):
        contributor = contributors[index % len(contributors)]
        editor = editors[index % len(editors)]
        moment = start + timedelta(days=rng.uniform(0, 50), hours=rng.uniform(0, 12))
        if index == FRESH_PITCH:
            moment = datetime.now(UTC) - timedelta(hours=20)
        with clock_set_to(moment):
            submission = services.submit_pitch(contributor, services.PitchInput(
                headline=headline, summary=dek,
                angle="Nobody has reported this from the ground; the situation changed this month.",
                sources="Residents I have known for years, the local council, two aid workers.",
                proposed_words=rng.choice([800, 1200, 1500]),
                proposed_deadline=(moment + timedelta(days=21)).date(),
                experience="Five years reporting from the region; I speak the local dialect.",
            ))
        moment = _walk(rng, submission, target, contributor, editor, admin, moment, sections)
        if index == DUE_TOMORROW:
            submission.deadline = (datetime.now(UTC) + timedelta(days=1)).date()
        bar.update()
    _translation(people["reporter2@example.org"], editors[0], sections)
    bar.update()
    bar.close()

    # The demo describes the past: drop the notifications it wrote instead of emailing them now.
    db.session.execute(sa.delete(Notification))
    discard_after_commit(db.session())
    forget_outbox(db.session())
    db.session.flush()
    _schedule_one(editors[1])
    _news_of_today(people)
    return {"people": [(email, role.value) for email, _, _, role in PEOPLE], "password": DEMO_PASSWORD,
            "submissions": len(PLAN) + 1}


SECTIONS = [("News", "news", "Reporting from the ground, as it happens."),
            ("Analysis", "analysis", "What the events of the week mean, and what may come next."),
            ("First person", "first-person", "Contributors write what they lived."),
            ("Explainers", "explainers", "The background to the news, told plainly.")]
TAGS = ["Supply lines", "Health", "Education", "Displacement", "Energy", "Local government", "Culture",
        "Aid", "Media"]
CREDITS = ["Samir Khoury", "A. Correspondent", "Daniel Osei"]
TOP_ALT = "Low hills under an evening sky, a few houses with lit windows and a road leading away"


def _sections() -> list:
    sections = [Section(name=name, slug=slug, description=description, position=position)
                for position, (name, slug, description) in enumerate(SECTIONS)]
    db.session.add_all(sections)
    db.session.flush()
    return sections


def _photographed_body(rng: random.Random, story: Submission, editor: User) -> tuple[str, int]:
    """The edited text of a story to be published, with its photos uploaded: paragraphs, a subheading, a pull
    quote and, in every other story, a photo in the body. Returns the body and the top image's id."""
    n = story.id
    credit = f"Illustration for the demo, after a photo by {CREDITS[n % len(CREDITS)]}"
    top = images.add_image(editor, story, "top.jpg", landscape(n), alt=TOP_ALT,
                           caption=f"{story.headline}: the view from the edge of town.", credit=credit)
    images.prepare(top.id)  # the demo's pages show their photos at once, without waiting for a worker
    quoted = next(p for p in STORY_MIDDLE if "radios" in p)  # the pull quote repeats a line of the story
    middle = rng.sample([p for p in STORY_MIDDLE if p is not quoted], 5)
    middle.insert(1, quoted)
    parts = [rng.choice(STORY_OPENINGS), story.summary + " " + middle[0], *middle[1:3]]
    parts.append("::: pullquote\n“We are not waiting. We are fixing radios.”\n:::")
    parts.append("## What comes next")
    parts += [*middle[3:], rng.choice(STORY_ENDINGS)]
    if n % 2 == 0:
        inside = images.add_image(editor, story, "inside.jpg", landscape(n + 100),
                                  alt="The road out of town at dusk", caption="The only road still open after dark.",
                                  credit=credit)
        images.prepare(inside.id)
        parts.insert(3, f"![The road out of town at dusk](image:{inside.key})")
    parts.append("*Names of some residents have been withheld for their safety.*")
    return "\n\n".join(parts), top.id


def _set_the_page(rng: random.Random, story: Submission, editor: User, sections: list, top_image_id: int) -> None:
    editorial.update_page(editor, story, editorial.PageSettings(
        section_id=sections[story.id % len(sections)].id, tags=", ".join(rng.sample(TAGS, 3)),
        seo_description=story.summary, top_image_id=top_image_id), seen_version=story.version)


def _schedule_one(editor: User) -> None:
    """One edited story waits for tomorrow morning: beat publishes it then."""
    story = db.session.scalar(sa.select(Submission).where(Submission.state == State.EDITED)
                              .order_by(Submission.id).limit(1))
    if story is None:
        return
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).replace(hour=8, minute=0, second=0, microsecond=0)
    if story.editor is not None and story.editor.is_staff:
        editor = story.editor
    editorial.schedule(editor, story, tomorrow, seen_version=story.version)


def _news_of_today(people: dict[str, User]) -> None:
    """Two things that happen as the demo starts, so that the bells ring and the mail catcher gets real email:
    an editor writes to a contributor about a story in progress, and that contributor's new message reaches
    the desk."""
    editor, reporter = people["editor@example.org"], people["reporter@example.org"]
    story = db.session.scalar(sa.select(Submission).where(Submission.contributor_id == reporter.id,
                                                          Submission.state == State.ASSIGNED)
                              .order_by(Submission.editor_id != editor.id, Submission.id).limit(1))
    if story is None:
        return
    if story.editor_id != editor.id:
        editor = story.editor
    services.post_message(editor, story, "How is the draft coming along? Tell me if you need more time.")
    services.post_message(reporter, story, "Nearly there: two more interviews tomorrow, then I send it.")


# The Arabic translation of the first published story ("Why aid convoys stop at the river"): a piece of its own,
# reported in Arabic, with an English line quoted in it (it takes its own direction on the page).
TRANSLATION = {
    "headline": "لماذا تتوقف قوافل المساعدات عند النهر",
    "dek": "تصاريح وحواجز تفتيش، وجسر لم يُرمَّم إلا نصفه.",
    "angle": "لم ينقل أحد هذه القصة من ضفة النهر نفسها، والوضع تغيّر هذا الشهر.",
    "sources": "سائقو شاحنات أعرفهم منذ سنوات، والمجلس المحلي، وعاملان في منظمتي إغاثة.",
    "experience": "خمس سنوات من العمل الصحفي في المنطقة، وأتحدث لهجتها المحلية.",
    "body": [
        "تصل الشاحنات الأولى إلى ضفة النهر قبل شروق الشمس بقليل، ثم تتوقف. أمامها جسر لم يُرمَّم إلا نصفه، "
        "وخلفها طابور يمتد في بعض الأيام أكثر من كيلومترين.",
        "يقول سائقون تحدثنا إليهم إن الانتظار قد يطول يومين أو ثلاثة. فكل شاحنة تحتاج إلى ثلاثة تصاريح مختومة من "
        "ثلاث جهات مختلفة، وأي خطأ في رقم اللوحة أو في قائمة الحمولة يعيدها إلى آخر الطابور.",
        "«نحمل الطحين والأدوية وحليب الأطفال»، قال سائق يعمل على هذا الطريق منذ عامين وطلب عدم ذكر اسمه. "
        "«لكننا نقضي على ضفة النهر وقتاً أطول مما نقضيه على الطريق».",
        "## ما الذي يؤخّر العبور",
        "لا يحتمل الجزء المرمَّم من الجسر أكثر من شاحنة واحدة في كل مرة، ولا يُسمح بالعبور إلا في ساعات النهار. "
        "وتقدّر منظمات إغاثة محلية أن نحو أربعين شاحنة فقط تعبر في اليوم، في حين تحتاج البلدات الواقعة على "
        "الضفة الأخرى إلى ضعف هذا العدد.",
        "وكتب منسّق في إحدى هذه المنظمات، في رسالة بالإنجليزية إلى زملائه:",
        "> The bridge is the bottleneck, not the roads.",
        "::: pullquote\n«نقضي على ضفة النهر وقتاً أطول مما نقضيه على الطريق».\n:::",
        "ويقول أعضاء في المجلس المحلي إن أعمال الترميم ستُستأنف الشهر المقبل إذا وصلت مواد البناء. لكن قلّة من "
        "السكان يبنون خططهم على هذا الوعد.",
        "في المساء، حين يُغلق المعبر، يوقد السائقون مواقد صغيرة بجانب شاحناتهم ويتقاسمون الشاي والأخبار. وفي "
        "الصباح يعودون إلى الطابور نفسه.",
        "*حُجبت أسماء بعض من تحدثنا إليهم حفاظاً على سلامتهم.*",
    ],
    "alt": "تلال منخفضة تحت سماء المساء، وبضعة بيوت نوافذها مضاءة، وطريق يمتد بعيداً",
    "caption": "الطريق المؤدي إلى النهر عند الغروب.",
    "credit": "رسم توضيحي للعرض التجريبي",
    "tags": "Aid, Supply lines",
}


def _translation(contributor: User, editor: User, sections: list) -> None:
    """The Arabic story, walked through the desk like the others and published a few days after the English
    one it translates; the editor names that one as its translation (the language is told from the text)."""
    published = [index for index, state in enumerate(PLAN) if state is State.PUBLISHED]
    headline = SUBJECTS[published[TRANSLATED]][0]
    english = db.session.scalar(sa.select(Submission).where(Submission.headline == headline,
                                                            Submission.state == State.PUBLISHED))
    if english is None:
        return
    text = TRANSLATION
    out = english.published_at if english.published_at.tzinfo else english.published_at.replace(tzinfo=UTC)
    moment = min(out + timedelta(days=2), datetime.now(UTC) - timedelta(hours=30))
    with clock_set_to(moment):
        story = services.submit_pitch(contributor, services.PitchInput(
            headline=text["headline"], summary=text["dek"], angle=text["angle"], sources=text["sources"],
            proposed_words=800, proposed_deadline=(moment + timedelta(days=7)).date(),
            experience=text["experience"]))
    with clock_set_to(moment + timedelta(hours=2)):
        services.transition(editor, story, services.TransitionInput(
            action="assign", seen_version=story.version, editor_id=editor.id,
            deadline=(moment + timedelta(days=3)).date(), assigned_words=800))
    with clock_set_to(moment + timedelta(hours=20)):
        services.save_draft(contributor, story, text["headline"], text["dek"], "\n\n".join(text["body"]),
                            note="المسودة الأولى")
        services.transition(editor, story, services.TransitionInput(action="mark_edited",
                                                                    seen_version=story.version))
        top = images.add_image(editor, story, "top.jpg", landscape(story.id), alt=text["alt"],
                               caption=text["caption"], credit=text["credit"])
        images.prepare(top.id)
        editorial.update_page(editor, story, editorial.PageSettings(
            section_id=sections[0].id, tags=text["tags"], seo_description=text["dek"], top_image_id=top.id,
            translation=english.slug), seen_version=story.version)
        services.transition(editor, story, services.TransitionInput(action="publish", seen_version=story.version))


def _act(moment, rng, actor, submission, action, **kwargs):
    moment = moment + timedelta(hours=rng.uniform(3, 60))
    with clock_set_to(moment):
        services.transition(actor, submission, services.TransitionInput(
            action=action, seen_version=submission.version, **kwargs))
    return moment


def _walk(rng, submission: Submission, target: State, contributor, editor, admin, moment, sections):
    def later(hours=24):
        return moment + timedelta(hours=rng.uniform(1, hours))

    if target is State.PITCHED:
        if rng.random() < 0.5:
            with clock_set_to(later()):
                services.post_message(editor, submission, "Interesting. Who else has covered this?", internal=True)
        return moment
    if target is State.WITHDRAWN:
        return _act(moment, rng, contributor, submission, "withdraw", comment="I have to leave the area.")
    if target is State.DECLINED:
        return _act(moment, rng, editor, submission, "decline",
                    comment="We covered a similar story last month; try us again with a new angle.")
    deadline = (datetime.now(UTC) + timedelta(days=rng.randint(-5, 20))).date()
    with clock_set_to(later()):
        services.post_message(contributor, submission, "I can start this week if you are interested.")
    with clock_set_to(later(2)):
        # Assign as if the deadline were set then; demo deadlines may already have passed.
        services.transition(editor, submission, services.TransitionInput(
            action="assign", seen_version=submission.version, editor_id=editor.id,
            deadline=max(deadline, (moment + timedelta(days=2)).date()), assigned_words=1200))
        if deadline < (moment + timedelta(days=2)).date():
            submission.deadline = deadline
    moment = later(48)
    with clock_set_to(moment):
        services.post_message(editor, submission, "Great. Send me a first draft when you can; keep it tight.")
    if target is State.ASSIGNED and rng.random() < 0.4:
        return moment
    moment = later(72)
    with clock_set_to(moment):
        services.save_draft(contributor, submission, submission.headline, submission.summary,
                            _body(rng, 6), note="First draft")
    if target is State.ASSIGNED:
        return moment
    moment = later(24)
    with clock_set_to(moment):
        body, top_image_id = (_photographed_body(rng, submission, editor) if target is State.PUBLISHED
                              else (_body(rng, 5), None))
        services.save_draft(editor, submission, submission.headline, submission.summary,
                            body, note="Tightened the top")
    moment = _act(moment, rng, editor, submission, "mark_edited")
    if target is State.EDITED:
        return moment
    with clock_set_to(moment):
        _set_the_page(rng, submission, editor, sections, top_image_id)
    return _act(moment, rng, editor, submission, "publish")
