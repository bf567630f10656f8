"""Discovery: the Atom feed of the latest stories, the sitemap and robots.txt.

Links in them are absolute, built from WORKFLOW_BASE_URL (the public address), never from the request's Host
header, which a client chooses.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

import sqlalchemy as sa
from feedgen.feed import FeedGenerator
from flask import current_app

from workflow.articles import rendering, services
from workflow.core.urls import external_url
from workflow.extensions import db
from workflow.submissions.models import Submission
from workflow.submissions.workflow import State

FEED_SIZE = 20
SITEMAP_LIMIT = 50_000  # the sitemap protocol's limit for one file


def atom_feed() -> bytes:
    """The newest stories as Atom 1.0, with their summaries and full bodies (sanitised HTML)."""
    outlet = current_app.config["OUTLET_NAME"]
    stories = services.latest(limit=FEED_SIZE).stories
    feed = FeedGenerator()
    feed.id(external_url("submissions.index"))
    feed.title(outlet)
    feed.subtitle(f"The latest reporting from {outlet}")
    feed.link(href=external_url("articles.feed"), rel="self", type="application/atom+xml")
    feed.link(href=external_url("submissions.index"), rel="alternate", type="text/html")
    feed.language("en")
    if stories:
        feed.updated(max(story.published_at for story in stories))
    for story in reversed(stories):  # feedgen puts the last added first
        url = external_url("articles.article", slug=story.slug)
        entry = feed.add_entry()
        entry.id(url)
        entry.title(story.published_headline)
        entry.link(href=url, rel="alternate", type="text/html")
        entry.author(name=story.contributor.byline_name)
        entry.published(story.published_at)
        entry.updated(story.published_at)
        if story.published_dek:
            entry.summary(story.published_dek)
        entry.content(str(rendering.markdown_to_html(story.published_body)), type="html")
    return feed.atom_str(pretty=True)


def sitemap() -> str:
    """Every published story's address, with when it last changed (one query, only the two columns)."""
    rows = db.session.execute(
        sa.select(Submission.slug, Submission.published_at).where(Submission.state == State.PUBLISHED)
        .order_by(Submission.published_at.desc(), Submission.id.desc()).limit(SITEMAP_LIMIT - 1))
    urls = [(external_url("submissions.index"), None)]
    urls += [(external_url("articles.article", slug=slug), at) for slug, at in rows]
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
