"""Which language and time zone a page is in, and the link that switches the language (no JavaScript needed).

The language, first found wins: what a worker or a page said it is writing in (``i18n.speaking``); the switcher's
cookie (what was chosen in this browser); the signed-in person's own choice (their account, which their emails
follow too); the browser's ``Accept-Language``; the desk's default. The time zone: the signed-in person's, else
the desk's. The switcher is a GET link, so it changes nothing but the cookie: no GET writes to the database.
"""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, request, url_for
from flask_babel import Babel
from flask_login import current_user

from workflow.core import i18n
from workflow.core.views import LANGUAGE_COOKIE, remember_language, safe_next

bp = Blueprint("language", __name__)
babel = Babel()


def _person():
    """The signed-in person of this request, or None (only asked inside a request)."""
    return current_user if current_user.is_authenticated else None


def select_locale() -> str:
    spoken = i18n.speaking_now()
    if spoken:
        return spoken[0]
    default = current_app.config["DEFAULT_LOCALE"]
    if not request:
        return default
    chosen = i18n.supported(request.cookies.get(LANGUAGE_COOKIE))
    if chosen:
        return chosen
    person = _person()
    if person is not None and i18n.supported(getattr(person, "locale", None)):
        return i18n.supported(person.locale)
    return request.accept_languages.best_match(list(i18n.LANGUAGES), default=default)


def select_time_zone() -> str:
    spoken = i18n.speaking_now()
    if spoken:
        return spoken[1]
    if request:
        person = _person()
        zone = getattr(person, "time_zone", None) if person is not None else None
        if i18n.valid_time_zone(zone):
            return zone
    return current_app.config["TIME_ZONE"]


@bp.get("/language/<code>")
def switch(code: str):
    """Speak ``code`` in this browser from now on (a person's own choice, which their emails follow, is kept on
    their account page)."""
    chosen = i18n.supported(code)
    target = safe_next(url_for("articles.index"))
    if chosen is None or chosen != code:
        return redirect(target)
    return remember_language(redirect(target), chosen)


def language_links() -> list[dict]:
    """The switcher: every other language, as a link back to this page (a GET: it works without JavaScript)."""
    here = i18n.current_language()
    back = request.full_path.rstrip("?") if request.method == "GET" else request.path
    return [{"code": language.code, "name": language.name, "direction": language.direction,
             "url": url_for("language.switch", code=language.code, next=back)}
            for language in i18n.LANGUAGES.values() if language.code != here]


def init_app(app) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", app.config["DEFAULT_LOCALE"])
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", app.config["TIME_ZONE"])
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_time_zone)

    @app.after_request
    def vary_by_language(response):
        """A page differs by the language asked for: a shared cache keeps one copy per language and switcher."""
        if response.mimetype == "text/html":
            response.vary.add("Accept-Language")
            response.vary.add("Cookie")
        return response

    @app.context_processor
    def language_of_the_page():
        language = i18n.current_language()
        return {"html_lang": language, "html_dir": i18n.direction(language),
                "language_links": language_links() if request else []}
