"""The outlet's public face: the home page of latest stories and each published story's page."""

from __future__ import annotations

import hashlib

from flask import Blueprint, abort, make_response, redirect, render_template, request, url_for

from workflow.articles import feeds, rendering, services

bp = Blueprint("articles", __name__)


@bp.route("/articles/<slug>")
def article(slug: str):
    try:
        story = services.published(slug)
    except services.Moved as moved:
        return redirect(url_for("articles.article", slug=moved.slug), 301)
    except services.Gone:
        return render_template("articles/gone.html"), 410
    if story is None:
        abort(404)
    response = make_response(render_template(
        "articles/article.html", story=story, body=rendering.markdown_to_html(story.published_body),
        minutes=rendering.read_minutes(story.published_body)))
    # The page changes when the story is republished (its version moves) or the byline is renamed.
    fingerprint = f"{story.id}:{story.version}:{story.published_at.isoformat()}:{story.contributor.byline_name}"
    response.set_etag(hashlib.sha256(fingerprint.encode()).hexdigest()[:32])
    response.last_modified = story.published_at
    response.cache_control.public = True
    response.cache_control.max_age = 60
    return response.make_conditional(request)


@bp.route("/contributors/<public_id>")
def contributor(public_id: str):
    person = services.public_contributor(public_id)
    if person is None:
        abort(404)
    page = services.latest(limit=20, cursor=request.args.get("after"), contributor_id=person.id)
    return render_template("articles/contributor.html", person=person, page=page)


@bp.route("/feed.atom")
def feed():
    response = make_response(feeds.atom_feed())
    response.mimetype = "application/atom+xml"
    return _cached(response)


@bp.route("/sitemap.xml")
def sitemap():
    response = make_response(feeds.sitemap())
    response.mimetype = "application/xml"
    return _cached(response)


@bp.route("/robots.txt")
def robots():
    response = make_response(feeds.robots())
    response.mimetype = "text/plain"
    return response


def _cached(response):
    """Feeds are polled: a reader that has this version gets 304 and no body."""
    response.add_etag()
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response.make_conditional(request)
