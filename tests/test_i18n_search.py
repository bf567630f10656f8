"""Arabic in the searches: the queue's (editors) and the readers' find a word whatever its diacritics, alef and
hamza forms, taa marbuta, alef maqsura, tatweel and digits, on SQLite and PostgreSQL, through the real pages.

The normaliser's table is written by hand (each rule, one line or more); so are the expected results of the
page searches.
"""

from __future__ import annotations

import importlib.util
import re
from datetime import UTC, datetime
from urllib.parse import unquote

import pytest
import sqlalchemy as sa

from tests.helpers import Client, ok, publish, row_ids, signed_in, unpublish, valid_pitch
from workflow import ROOT
from workflow.core.search_text import normalise, search_terms
from workflow.extensions import db
from workflow.people.models import User
from workflow.submissions import services
from workflow.submissions.models import Submission
from workflow.submissions.queue import _search_condition

SCHOOL = "مَدْرَسَةُ الأطفالِ في غزّة"
SCHOOL_SUMMARY = "المعلمون يواصلون الدروس في قبو تحت القصف."
HOSPITAL = "مستشفى يعمل بلا كهرباء"
HOSPITAL_SUMMARY = "الأطباء يعملون على ضوء الهواتف منذ ٣ أيام، والمسؤولون يَعِدون بالوقود."
BAKERS = "Night bakers defy the curfew"
BAKERS_SUMMARY = "Ovens burn through the blackout in the old city."


# --- the normaliser ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    # Short vowels and signs (U+064B–U+0652), one by one, and the superscript alef (U+0670).
    ("كتابً", "كتاب"),  # fathatan
    ("كتابٌ", "كتاب"),  # dammatan
    ("كتابٍ", "كتاب"),  # kasratan
    ("كَتَبَ", "كتب"),  # fatha
    ("كُتُب", "كتب"),  # damma
    ("كِتاب", "كتاب"),  # kasra
    ("غزّة", "غزه"),  # shadda (and taa marbuta)
    ("مدْرسة", "مدرسه"),  # sukun
    ("هٰذا", "هذا"),  # superscript alef
    ("مَدْرَسَةُ الأطفالِ في غزّة", "مدرسه الاطفال في غزه"),
    # Alef forms.
    ("أحمد", "احمد"),
    ("إسلام", "اسلام"),
    ("آمن", "امن"),
    ("ٱلله", "الله"),
    ("\u0627\u0653\u0645\u0646", "امن"),  # alef + combining maddah (a decomposed آ)
    ("\u0627\u0654\u062d\u0645\u062f", "احمد"),  # alef + combining hamza above (a decomposed أ)
    # Hamza on waw and on yaa: the seat stays; a standalone hamza stays.
    ("سؤال", "سوال"),
    ("رئيس", "رييس"),
    ("مسؤول", "مسوول"),
    ("مسئول", "مسيول"),  # the other spelling stays another word
    ("سماء", "سماء"),
    # Taa marbuta, alef maqsura.
    ("مدينة", "مدينه"),
    ("مستشفى", "مستشفي"),
    ("على", "علي"),
    # Tatweel.
    ("مـدرسة", "مدرسه"),
    ("مــــــدرســـة", "مدرسه"),
    # Persian kaf and yeh, as some keyboards type them.
    ("کتاب", "كتاب"),
    ("فی", "في"),
    # Digits.
    ("٣ أيام", "3 ايام"),
    ("٠١٢٣٤٥٦٧٨٩", "0123456789"),
    ("۱۴۰۵", "1405"),  # Persian digits
    # Presentation forms, as a PDF gives them; the lam-alef ligature.
    ("ﻣﺪﺭﺳﺔ", "مدرسه"),
    ("ﻻ", "لا"),
    # Latin case, as before; accents are kept.
    ("Night BAKERS", "night bakers"),
    ("Café Straße", "café strasse"),
    ("ＡＢＣ１２", "abc12"),  # full-width
    # Punctuation and spaces separate words; direction marks and zero-width characters go.
    ("غزة، اليوم؟", "غزه اليوم"),
    ("millers' union", "millers union"),
    ("  night\t\nbakers  ", "night bakers"),
    ("%_\\", ""),
    ("\u200fغزة\u200f", "غزه"),
    ("\u2067غزة\u2069", "غزه"),
    ("", ""),
    (None, ""),
])
def test_the_normaliser_folds_each_rule(text, expected):
    assert normalise(text) == expected


@pytest.mark.parametrize(("question", "expected"), [
    ("مدرسة غزة", ["مدرسه", "غزه"]),
    ('"مدرسة الأطفال" غزّة', ["مدرسه الاطفال", "غزه"]),  # a quoted phrase is one term
    ('"unclosed phrase', ["unclosed phrase"]),
    ("غزة غزه غزّة", ["غزه"]),  # one term once
    ("%% _ ' ؟", []),  # nothing to look for
    ("b c d e f g h i j k", ["b", "c", "d", "e", "f", "g", "h", "i"]),  # at most eight
    ("مدرسة في غزة", ["مدرسه", "غزه"]),  # stop words left out...
    ("the night bakers of the city", ["night", "bakers", "city"]),
    ('"children of Gaza"', ["children of gaza"]),  # ...but not from a phrase
    ("في", ["في"]),  # nor when there is nothing else
    ("the or", ["the", "or"]),
    ("علي حسن", ["علي", "حسن"]),  # على folds to the name علي: kept
    ("bread -curfew", ["bread", "-curfew"]),  # a word after a minus sign: left out of the stories found
    ("مدرسة -غزّة", ["مدرسه", "-غزه"]),
    ("-curfew", []),  # nothing but words left out: nothing to look for
    ("covid-19 -the", ["covid", "19"]),  # a minus inside a word is not one; a stop word left out is no term
])
def test_a_question_becomes_normalised_terms(question, expected):
    assert search_terms(question) == expected


# --- the pages -------------------------------------------------------------------------------------------------

# (query, which stories it finds); the same questions for the queue and the readers' search.
QUESTIONS = [
    ("مدرسه", {"school"}),  # ه for ة
    ("مدرسة", {"school"}),
    ("مَدرسة", {"school"}),  # with a diacritic typed
    ("مـدرسة", {"school"}),  # with a tatweel
    ("الاطفال", {"school"}),  # bare alef for أ
    ("الأطفال", {"school"}),
    ("الإطفال", {"school"}),  # إ
    ("الآطفال", {"school"}),  # آ
    ("اطفال", {"school"}),  # without the article: a part of the word
    ("غزة", {"school"}),  # without the shadda
    ("غزه", {"school"}),
    ("غزّة مدرسة", {"school"}),  # every word
    ('"مدرسة الأطفال"', {"school"}),  # a phrase
    ("مدرس", {"school"}),  # a part of a word
    ("مستشفي", {"hospital"}),  # ي for ى
    ("كهرباء", {"hospital"}),
    ("BAKERS curfew", {"bakers"}),  # Latin, any case, as before
    ("bakers of the night", {"bakers"}),  # "of" is in none of their text: a stop word, left out
    ("جامعة", set()),  # a word no story has
    ("مدرسة جامعة", set()),  # one known word and one unknown: nothing
    ('"الأطفال مدرسة"', set()),  # the phrase's words in the other order
    ("مستشفى غزة", set()),  # two words of two different stories
    ("مدرسة -غزة", set()),  # a word after a minus sign: the story must not hold it
    ("مدرسة -جامعة", {"school"}),
    ("BAKERS -curfew", set()),
    ("-غزة", set()),  # nothing but words left out: nothing to look for
]
QUEUE_ONLY = [  # the summary is the queue's, the dek and body the readers'
    ("٣ أيام", {"hospital"}),  # Arabic-Indic digit, أ
    ("3 ايام", {"hospital"}),
    ("المسوولون", {"hospital"}),  # و for ؤ
    ("يعدون", {"hospital"}),
]


@pytest.fixture
def desk(app, factory):
    """Three pitches in the queue (two Arabic, one English) and an editor to search them."""
    editor = factory.user("editor")
    reporter = factory.user()
    stories = {
        "school": factory.submission(reporter, headline=SCHOOL, summary=SCHOOL_SUMMARY),
        "hospital": factory.submission(reporter, state="assigned", editor=editor, headline=HOSPITAL,
                                       summary=HOSPITAL_SUMMARY),
        "bakers": factory.submission(reporter, headline=BAKERS, summary=BAKERS_SUMMARY),
    }
    return {"editor": signed_in(app, editor), "ids": {name: story.id for name, story in stories.items()}}


@pytest.mark.parametrize(("q", "expected"), QUESTIONS + QUEUE_ONLY)
def test_the_queue_search_finds_arabic_however_it_is_written(desk, q, expected):
    response = ok(desk["editor"].get("/queue", query_string={"q": q}))
    assert set(row_ids(response)) == {desk["ids"][name] for name in expected}, q


@pytest.fixture
def readers_site(app, factory):
    """Three published stories and a draft with the school's words that is not published."""
    slugs = {
        "school": publish(app, factory, headline=SCHOOL, dek="المعلمون يواصلون الدروس في قبو.",
                          body="تحت القصف يتعلّم الأطفال القراءة.")[0],
        "hospital": publish(app, factory, headline=HOSPITAL, dek="الأطباء يعملون على ضوء الهواتف.",
                            body="المولّد متوقف منذ ٣ أيام.")[0],
        "bakers": publish(app, factory, headline=BAKERS, dek="Bread keeps a district going.",
                          body="Flour arrives before the curfew.")[0],
    }
    editor, reporter = factory.user("editor"), factory.user()
    factory.submission(reporter, "edited", editor=editor, headline="مدرسة الأطفال في غزة: مسودة")
    return slugs


STORY_LINK = re.compile(r'class="story-list__headline"><a href="/articles/([^"]+)">')


def _found(response) -> list[str]:
    """The slugs of the stories a search page lists, in order (an Arabic slug's link is percent-encoded)."""
    return [unquote(slug) for slug in STORY_LINK.findall(response.get_data(as_text=True))]


@pytest.mark.parametrize(("q", "expected"), QUESTIONS + [
    ("3 ايام", {"hospital"}),  # a digit of the body, typed in ASCII
    ("المولد", {"hospital"}),  # a word of the body without its shadda
    ("مسودة", set()),  # only in a story that is not published
])
def test_the_readers_search_finds_arabic_however_it_is_written(app, readers_site, q, expected):
    response = Client(app).get("/search", query_string={"q": q})
    assert response.status_code == 200
    assert set(_found(response)) == {readers_site[n] for n in expected}, q


# --- the search columns follow the text ------------------------------------------------------------------------

def test_the_queue_finds_a_pitch_by_its_new_summary_and_no_longer_by_the_old(app, desk):
    with app.app_context():
        story = db.session.get(Submission, desk["ids"]["school"])
        story.summary = "الطلاب يدرسون على ضوء الشموع."
        db.session.commit()
    search = desk["editor"]
    assert row_ids(ok(search.get("/queue", query_string={"q": "الشموع"}))) == [desk["ids"]["school"]]
    assert row_ids(ok(search.get("/queue", query_string={"q": "القصف"}))) == []
    assert row_ids(ok(search.get("/queue", query_string={"q": "مدرسة"}))) == [desk["ids"]["school"]]


def test_a_story_published_again_is_found_by_its_new_text_only(app, factory):
    slug, editor = publish(app, factory, headline="مدرسة الأطفال في غزة", dek="القبو.", body="الدروس مستمرة.")
    unpublish(app, factory, slug)
    with app.app_context():
        story = db.session.scalar(sa.select(Submission).where(Submission.slug == slug))
        services.save_draft(db.session.get(User, editor.id), story, "مدرسة الأطفال في رفح", "القبو.",
                            "الدروس مستمرة.")
        services.transition(db.session.get(User, editor.id), story, services.TransitionInput(
            action="publish", seen_version=story.version))
        db.session.commit()
        slug = story.slug  # the new headline's
    reader = Client(app)
    assert _found(reader.get("/search", query_string={"q": "رفح"})) == [slug]
    assert _found(reader.get("/search", query_string={"q": "غزة"})) == []


def test_rows_inserted_in_bulk_are_searchable(app, factory):
    editor = factory.user("editor")
    reporter = factory.user()
    now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    table = Submission.__table__
    with app.app_context():
        ids = list(db.session.execute(sa.insert(table).returning(table.c.id, sort_by_parameter_order=True), [
            {"contributor_id": reporter.id, "state": "pitched", "headline": headline, "summary": "ملخص.",
             "angle": "", "sources": "", "experience": "", "created_at": now, "pitched_at": now,
             "last_activity_at": now, "last_activity": "pitched", "version": 1}
            for headline in (SCHOOL, HOSPITAL)]).scalars())
        db.session.commit()
    found = row_ids(ok(signed_in(app, editor).get("/queue", query_string={"q": "مدرسة"})))
    assert found == [ids[0]]


def test_private_fields_are_not_searchable_nor_copied_into_a_search_column(app, factory):
    """The pitch's angle, sources and experience are sealed: the queue does not find a pitch by them, and no search
    column holds them."""
    reporter = factory.user()
    editor = factory.user("editor")
    contributor = signed_in(app, reporter)
    response = contributor.post("/pitch", valid_pitch(
        headline=SCHOOL, summary=SCHOOL_SUMMARY, angle="الأرملة زينب تخفي ابنها",
        sources="المصدر السري حسّان", experience="عملت مع وكالة الأنباء"), page="/pitch")
    assert response.status_code == 303 and "/submissions/" in response.location
    search = signed_in(app, editor)
    for secret in ("زينب", "حسان", "وكالة", "الانباء"):
        assert row_ids(ok(search.get("/queue", query_string={"q": secret}))) == [], secret
    assert len(row_ids(ok(search.get("/queue", query_string={"q": "مدرسة"})))) == 1
    with app.app_context():
        columns = db.session.execute(sa.select(Submission.search_text, Submission.published_search_text)).all()
    assert columns == [("مدرسه الاطفال في غزه المعلمون يواصلون الدروس في قبو تحت القصف", None)]


def _migration():
    path = next((ROOT / "migrations" / "versions").glob("*_search_columns.py"))
    spec = importlib.util.spec_from_file_location("search_columns_migration", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_migration_fills_the_search_columns_of_the_stories_already_there(app, factory, monkeypatch):
    slug, _ = publish(app, factory, headline=SCHOOL, dek="القبو.", body="الدروس مستمرة.")
    reporter = factory.user()
    pitches = [factory.submission(reporter, headline=headline, summary="ملخص.")
               for headline in (HOSPITAL, BAKERS, "قصة رابعة", "قصة خامسة")]
    with app.app_context():
        db.session.execute(sa.update(Submission).values(search_text=None, published_search_text=None))
        db.session.commit()
    reader = Client(app)
    assert _found(reader.get("/search", query_string={"q": "غزة"})) == []
    migration = _migration()
    monkeypatch.setattr(migration, "BATCH", 2)  # three batches over five stories
    with app.app_context(), db.engine.begin() as connection:
        assert migration.fill_search_columns(connection) == 5
    assert _found(reader.get("/search", query_string={"q": "غزة"})) == [slug]
    editor = signed_in(app, factory.user("editor"))
    assert row_ids(ok(editor.get("/queue", query_string={"q": "مستشفي"}))) == [pitches[0].id]
    assert row_ids(ok(editor.get("/queue", query_string={"q": "خامسه"}))) == [pitches[3].id]


def test_an_arabic_search_on_postgresql_uses_the_trigram_index(app, desk):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the trigram index exists on PostgreSQL only")
        query = sa.select(Submission.id).where(_search_condition("مدرسة الأطفال"))
        compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
        with db.engine.connect() as connection:
            connection.execute(sa.text("SET enable_seqscan = off"))
            plan = "\n".join(connection.execute(sa.text(f"EXPLAIN {compiled}")).scalars())
        assert "ix_submissions_search" in plan, plan
