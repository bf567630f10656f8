"""Discovery: the Atom feeds of the latest stories (the site's and each section's), the sitemap and
robots.txt.

Links in them are absolute, built from WORKFLOW_BASE_URL (the public address), never from the request's Host
header, which a client chooses.

A feed is one document for every reader (and every cache): its own words are in the desk's language
(``DEFAULT_LOCALE``), which its ``xml:lang`` says, and each entry says the language its story is written in with
an ``xml:lang`` of its own (feedgen has no setting for it: a small feedgen extension writes the attribute).
"""

from __future__ import annotations

from xml.sax.saxutils import escape

import sqlalchemy as sa
from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from flask import current_app
from flask_babel import gettext as _

from workflow.articles import editorial, rendering, services
from workflow.articles.models import Section, Tag, submission_tags
from workflow.core.i18n import speaking
from workflow.core.models import utcnow
from workflow.core.urls import external_url
from workflow.extensions import db
from workflow.submissions.models import Submission
from workflow.submissions.workflow import State

FEED_SIZE = 20
SITEMAP_LIMIT = 50_000  # the sitemap protocol's limit for one file
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


class _Languages(BaseExtension):
    """The feed's side of the extension below: nothing to add (feedgen's ``language()`` writes the feed's)."""


class _EntryLanguage(BaseEntryExtension):
    """An entry's ``xml:lang``: the language its story is written in (Atom allows it on any element)."""

    def __init__(self):
        self.code: str | None = None

    def language(self, code: str) -> None:
        self.code = code

    def extend_atom(self, entry):
        if self.code:
            entry.set(XML_LANG, self.code)
        return entry


def atom_feed() -> bytes:
    """The newest stories as Atom 1.0, with their summaries and full bodies (sanitised HTML)."""
    outlet = current_app.config["OUTLET_NAME"]
    stories = services.latest(limit=FEED_SIZE, with_body=True).stories
    with speaking(None, None) as language:  # the desk's language, whoever asks
        return _atom(stories, title=outlet, subtitle=_("The latest reporting from %(outlet)s", outlet=outlet),
                     home=external_url("articles.index"), self_url=external_url("articles.feed"),
                     language=language)


def section_feed(section: Section) -> bytes:
    """The newest stories of one section as Atom 1.0, like the site's feed."""
    outlet = current_app.config["OUTLET_NAME"]
    stories = services.latest(limit=FEED_SIZE, section_id=section.id, with_body=True).stories
    with speaking(None, None) as language:  # the desk's language, whoever asks
        return _atom(stories, title=f"{section.name} · {outlet}",
                     subtitle=section.description or _("The latest %(section)s reporting from %(outlet)s",
                                                       section=section.name, outlet=outlet),
                     home=external_url("articles.section", slug=section.slug),
                     self_url=external_url("articles.section_feed", slug=section.slug), language=language)


def _atom(stories: list[Submission], *, title: str, subtitle: str, home: str, self_url: str, language: str
          ) -> bytes:
    """An Atom 1.0 feed of ``stories`` (newest first), identified by the page it mirrors (``home``), its own
    words in ``language``, each entry in its story's."""
    feed = FeedGenerator()
    feed.register_extension("languages", _Languages, _EntryLanguage, atom=True, rss=False)
    feed.id(home)
    feed.title(title)
    feed.subtitle(subtitle)
    feed.link(href=self_url, rel="self", type="application/atom+xml")
    feed.link(href=home, rel="alternate", type="text/html")
    feed.language(language)
    languages = editorial.languages_of(stories)
    # Atom requires <updated>: an empty feed says when it was made empty as well as it can (now).
    feed.updated(max((story.published_at for story in stories), default=None) or utcnow())
    for story in reversed(stories):  # feedgen puts the last added first
        url = external_url("articles.article", slug=story.slug)
        entry = feed.add_entry()
        entry.id(url)
        entry.languages.language(languages[story.id])
        entry.title(story.published_headline)
        entry.link(href=url, rel="alternate", type="text/html")
        entry.author(name=story.contributor.byline_name)
        entry.published(story.published_at)
        entry.updated(story.published_at)
        if story.section is not None:
            entry.category(term=story.section.slug, label=story.section.name)
        if story.published_dek:
            entry.summary(story.published_dek)
        entry.content(str(rendering.markdown_to_html(story.published_body)), type="html")
    return feed.atom_str(pretty=True)


def sitemap() -> str:
    """Every published story's address with when it last changed, then every section's page and the page of
    every tag that has a published story (one query for each kind, only the columns needed)."""
    stories = list(db.session.execute(
        sa.select(Submission.slug, Submission.published_at).where(Submission.state == State.PUBLISHED)
        .order_by(Submission.published_at.desc(), Submission.id.desc()).limit(SITEMAP_LIMIT - 1)))
    room = SITEMAP_LIMIT - 1 - len(stories)
    sections = list(db.session.execute(
        sa.select(Section.slug, sa.func.max(Submission.published_at))
        .outerjoin(Submission, sa.and_(Submission.section_id == Section.id, Submission.state == State.PUBLISHED))
        .group_by(Section.id, Section.slug).order_by(Section.position, Section.name).limit(room))) if room else []
    room -= len(sections)
    tags = list(db.session.execute(
        sa.select(Tag.slug, sa.func.max(Submission.published_at))
        .join(submission_tags, submission_tags.c.tag_id == Tag.id)
        .join(Submission, sa.and_(Submission.id == submission_tags.c.submission_id,
                                  Submission.state == State.PUBLISHED))
        .group_by(Tag.id, Tag.slug).order_by(Tag.slug).limit(room))) if room else []
    urls = [(external_url("articles.index"), None)]
    urls += [(external_url("articles.article", slug=slug), at) for slug, at in stories]
    urls += [(external_url("articles.section", slug=slug), at) for slug, at in sections]
    urls += [(external_url("articles.tag", slug=slug), at) for slug, at in tags]
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for url, at in urls:
        modified = f"<lastmod>{at.date().isoformat()}</lastmod>" if at else ""
        lines.append(f"  <url><loc>{escape(url)}</loc>{modified}</url>")
    lines.append("</urlset>")
    return "\n".join(lines) + "\n"


def robots() -> str:
    """Crawlers may read the public pages, not the desk behind sign-in."""
    private = ["/dashboard", "/queue", "/submissions/", "/account", "/admin/", "/notifications", "/unsubscribe/",
               "/login", "/register", "/password/", "/pitch"]
    lines = ["User-agent: *", *[f"Disallow: {path}" for path in private], "",
             f"Sitemap: {external_url('articles.sitemap')}"]
    return "\n".join(lines) + "\n"
