"""The outlet's public face: each published story's page, the lists of stories (a section's, a tag's, a
contributor's, a search's), the feeds, the sitemap and robots.txt."""

from __future__ import annotations

import hashlib

from flask import Blueprint, abort, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from workflow.articles import feeds, rendering, services
from workflow.articles.images import images_of
from workflow.auth.signin import home_of
from workflow.core import i18n

bp = Blueprint("articles", __name__)

LIST_SIZE = 20  # stories on a page of a section, a tag, a contributor or a search


@bp.route("/")
def index():
    """The outlet's home page: the latest stories. The desk's people go to their own home instead."""
    if current_user.is_authenticated:
        return redirect(home_of(current_user))
    page = services.latest(cursor=request.args.get("after"), before=request.args.get("before"))
    return cached_list_page(render_template("home.html", page=page), page)


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
    # One query: the body may place any of them. A photo still being prepared (or that could not be) is left
    # out, as if it were not placed: readers see the text, and the photo once it is ready.
    photos = [photo for photo in images_of(story) if photo.ready]
    response = make_response(render_template(
        "articles/article.html", story=story,
        body=rendering.markdown_to_html(story.published_body, {photo.key: photo for photo in photos}),
        minutes=rendering.read_minutes(story.published_body)))
    # The page changes with the reader's language (the page around the story speaks it), when the story is
    # republished (its version moves), the byline is renamed, or a photo's words change (editing a caption does
    # not touch the story), or a photo becomes ready.
    fingerprint = (f"{i18n.current_language()}:{story.id}:{story.version}:{story.published_at.isoformat()}:"
                   f"{story.contributor.byline_name}:"
                   + repr([(photo.id, photo.alt, photo.caption, photo.credit) for photo in photos])
                   + f":{story.top_image_id if story.top_image and story.top_image.ready else ''}")
    response.set_etag(hashlib.sha256(fingerprint.encode()).hexdigest()[:32])
    response.last_modified = story.published_at
    return _public(response, 60).make_conditional(request)


@bp.route("/contributors/<public_id>")
def contributor(public_id: str):
    person = services.public_contributor(public_id)
    if person is None:
        abort(404)
    page = _page_of(contributor_id=person.id)
    return cached_list_page(render_template("articles/contributor.html", person=person, page=page), page)


@bp.route("/sections/<slug>")
def section(slug: str):
    found = services.section_page_of(slug)
    if found is None:
        abort(404)
    found, published = found
    page = _page_of(section_id=found.id)
    return cached_list_page(render_template("articles/section.html", section=found, page=page,
                                            published=published), page)


@bp.route("/sections/<slug>/feed.atom")
def section_feed(slug: str):
    found = services.section_by_slug(slug)
    if found is None:
        abort(404)
    response = make_response(feeds.section_feed(found))
    response.mimetype = "application/atom+xml"
    return _cached(response)


@bp.route("/tags/<slug>")
def tag(slug: str):
    found = services.tag_by_slug(slug)
    if found is None:
        abort(404)
    page = _page_of(tag_id=found.id)
    return cached_list_page(render_template("articles/tag.html", tag=found, page=page), page)


@bp.route("/search")
def search():
    """Published stories that match ``q``, newest first; result pages are not for search engines to index."""
    q = services.clean_search(request.args.get("q"))
    page = _page_of(search=q) if q else services.EMPTY_PAGE
    return render_template("articles/search.html", q=q, page=page)


def _page_of(**which) -> services.Page:
    """The page of stories the request's ``after`` (older) or ``before`` (newer) cursor asks for."""
    return services.latest(limit=LIST_SIZE, cursor=request.args.get("after"), before=request.args.get("before"),
                           **which)


def cached_list_page(html: str, page: services.Page):
    """A list page: a reader (or a cache) that has this very page gets 304. The ETag is the page's own hash,
    so that any change (a story published, taken down, renamed) changes it."""
    response = make_response(html)
    if page.stories:
        response.last_modified = max(story.published_at for story in page.stories)
    response.add_etag()
    return _public(response, 60).make_conditional(request)


def _public(response, max_age: int):
    """A page any cache may keep for ``max_age`` seconds (once per language: every HTML answer says
    ``Vary: Accept-Language, Cookie``, workflow/core/language.py)."""
    response.cache_control.public = True
    response.cache_control.max_age = max_age
    return response


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
