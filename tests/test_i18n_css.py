"""Right to left: the desk's pages mirror in Arabic, and nothing in the stylesheet ties the layout to one side.

- desk.css: no physical left or right is left (margin-left, padding-right, left:, border-left, text-align: left,
  float: right, a shorthand whose left and right sides differ, ...): only logical properties (inline-start and
  -end), which turn round with the page's direction. The few exceptions are listed with their reason.
- In a real Chromium, the main pages in Arabic (``/language/ar``: ``<html lang="ar" dir="rtl">``) and in English,
  360 and 1280 px wide: no sideways scroll, the masthead's name and each page's heading start on the right in
  Arabic and on the left in English, and every heading, label and control fits the width. Screenshots go to
  ``test-artifacts/i18n/<page>-<width>-<lang>.png`` (translations may still be missing: the layout is what counts).
- An arrow or chevron wrapped in ``.flip`` points the other way in Arabic, once (not twice for a character that the
  bidi algorithm mirrors by itself); the section bar, scrolling sideways on a phone, shows a shadow on the side
  where sections are hidden, in either direction; typed text takes its own direction in a field.
"""

from __future__ import annotations

import io
import re

import pytest

from tests.browsers import LAYOUT_PROBLEMS, article_slug, no_horizontal_scroll, sign_in
from tests.helpers import seed_desk
from workflow import ROOT
from workflow.articles.models import Section
from workflow.extensions import db

STYLESHEET = ROOT / "workflow" / "static" / "desk.css"
ARTIFACTS = ROOT / "test-artifacts" / "i18n"
SECTIONS = ("News", "Analysis", "Opinion", "Culture", "Economy", "Photography")


# --- the stylesheet ---------------------------------------------------------------------------------------------------

# Declarations allowed to name a side, with the reason. (selector, property).
EXCEPTIONS = {
    (".section-nav ul", "background"):
        "the section bar's edge shadows: a symmetric pair, one at each side, each shown only where sections are "
        "hidden, so the rule is the same in both directions",
}

SIDE_PROPERTY = re.compile(r"(^|-)(left|right)(-|$)")
SIDE_VALUE = re.compile(r"\b(left|right)\b")
FOUR_SIDES = re.compile(r"^(margin|padding|inset|scroll-margin|scroll-padding|border-width|border-style|border-color)$")


def declarations(css: str):
    """(selector, property, value) of every declaration, inside @media blocks too."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        selector = " ".join(selector.split())
        for declaration in body.split(";"):
            if ":" in declaration:
                prop, value = declaration.split(":", 1)
                yield selector, prop.strip().lower(), " ".join(value.split())


def one_sided(prop: str, value: str) -> bool:
    """Whether a declaration puts something on the left or the right of the box rather than at its start or end."""
    if SIDE_PROPERTY.search(prop):  # margin-left, padding-right, left, border-top-left-radius, ...
        return True
    if SIDE_VALUE.search(value):  # text-align: left, float: right, clear: left, background-position: right, ...
        return True
    parts = value.replace("!important", "").split()
    if FOUR_SIDES.match(prop) and len(parts) == 4:  # top right bottom left
        return parts[1] != parts[3]
    if prop == "border-radius" and "/" not in value:  # top-left top-right bottom-right bottom-left
        corners = (parts * 4)[:4] if len(parts) < 3 else parts + parts[1:2] if len(parts) == 3 else parts
        return corners[0] != corners[1] or corners[2] != corners[3]
    if re.search(r"translate(X|3d)?\(|rotate|scaleX|skew", value):  # a transform that points one way
        return True
    return False


def test_the_stylesheet_names_no_side_only_logical_ones():
    css = STYLESHEET.read_text(encoding="utf-8")
    found = [(selector, prop, value) for selector, prop, value in declarations(css) if one_sided(prop, value)]
    # A rule for a right-to-left page is written to turn something round there: it may name a way.
    found = [item for item in found if "[dir=" not in item[0]]
    unexplained = [f"{selector} {{ {prop}: {value} }}" for selector, prop, value in found
                   if (selector, prop) not in EXCEPTIONS]
    assert not unexplained, "physical left/right in desk.css; use inline-start/-end:\n" + "\n".join(unexplained)
    # Each exception is still there (an exception that no longer exists must leave the list).
    assert {(selector, prop) for selector, prop, _ in found} == set(EXCEPTIONS)


def test_the_check_finds_what_it_is_meant_to_find():
    """The check above would see a physical side, in each of the ways one is written."""
    for prop, value in [("margin-left", "1rem"), ("left", "0"), ("border-right", "1px solid"),
                        ("text-align", "right"), ("float", "left"), ("clear", "left"), ("padding", "0 1rem 0 2rem"),
                        ("border-radius", "0 4px 4px 0"), ("border-top-left-radius", "4px"),
                        ("background-position", "right 1rem center"), ("transform", "translateX(-50%)")]:
        assert one_sided(prop, value), (prop, value)
    for prop, value in [("margin-inline-start", "1rem"), ("inset-inline-end", "0"), ("text-align", "start"),
                        ("float", "inline-start"), ("padding", "0.2rem 1rem 0.5rem"), ("border-radius", "4px"),
                        ("padding", "1rem 2rem 1rem 2rem"), ("border-start-end-radius", "4px")]:
        assert not one_sided(prop, value), (prop, value)


# --- in the browser --------------------------------------------------------------------------------------------------

def add_sections(app) -> None:
    """Enough sections that the public site's section bar does not fit a phone's width."""
    with app.app_context():
        db.session.add_all(Section(name=name, slug=name.lower(), position=i) for i, name in enumerate(SECTIONS))
        db.session.commit()


def speak(page, lang: str, path: str) -> None:
    """Switch the language with the masthead's link target, coming back to ``path``."""
    page.goto(f"/language/{lang}?next={path}")
    assert page.evaluate("[document.documentElement.lang, document.documentElement.dir]") == (
        ["ar", "rtl"] if lang == "ar" else ["en", "ltr"])


def save_shot(page, app, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with app.app_context():
        dialect = db.engine.dialect.name
    page.screenshot(path=str(ARTIFACTS / (f"{name}.png" if dialect == "sqlite" else f"{dialect}-{name}.png")),
                    full_page=True)


# Where things start: the brand's box, the content box of <main> (the column every page's content starts from),
# and the first line of the h1's text (all its pieces: an English word and a number in brackets make one
# left-to-right run, whose start is its left end even on a right-to-left page) against the h1's own content box.
EDGES = """() => {
    const content = el => { const box = el.getBoundingClientRect(), style = getComputedStyle(el);
        return [box.left + parseFloat(style.paddingLeft) + parseFloat(style.borderLeftWidth),
                box.right - parseFloat(style.paddingRight) - parseFloat(style.borderRightWidth)]; };
    const brand = document.querySelector('.brand').getBoundingClientRect();
    const h1 = document.querySelector('main h1');
    const range = document.createRange();
    range.selectNodeContents(h1);
    const rects = [...range.getClientRects()].filter(rect => rect.width);
    const line = rects.filter(rect => rect.top < rects[0].bottom && rect.bottom > rects[0].top);
    return {brand: [brand.left, brand.right], main: content(document.querySelector('main')), h1: content(h1),
            h1Text: [Math.min(...line.map(rect => rect.left)), Math.max(...line.map(rect => rect.right))],
            width: window.innerWidth};
}"""


# How far from its edge a heading's text may start: the small margin of a count beside it ("Queue (6)"), which
# sits at the line's end when an untranslated English heading makes one left-to-right run on a right-to-left page.
SLACK = 8


@pytest.mark.browser
@pytest.mark.parametrize("width", [360, 1280])
def test_main_pages_mirror_in_arabic_and_never_scroll_sideways(open_page, factory, app, width):
    desk = seed_desk(factory)
    add_sections(app)
    pages = {
        None: {"sign-in": "/login", "register": "/register", "home": "/",
               "article": f"/articles/{article_slug(app, desk['radio'].id)}"},
        "rana@example.org": {"dashboard": "/dashboard", "pitch": "/pitch"},
        "dana@example.org": {"queue": "/queue", "submission": f"/submissions/{desk['school'].id}"},
    }
    for lang in ("ar", "en"):
        for who, paths in pages.items():
            page = open_page(viewport={"width": width, "height": 800})
            if who:
                sign_in(page, who)
            first = True
            for name, path in paths.items():
                if first:
                    speak(page, lang, path)
                    first = False
                else:
                    page.goto(path)
                where = f"{name} at {width}px in {lang}"
                save_shot(page, app, f"{name}-{width}-{lang}")
                scroll_width, viewport = no_horizontal_scroll(page)
                assert scroll_width <= viewport, f"{where} scrolls sideways: {scroll_width}px in {viewport}px"
                assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), where
                problems = page.evaluate(LAYOUT_PROBLEMS)
                assert not problems, (where, problems)

                edges = page.evaluate(EDGES)
                brand_left, brand_right = edges["brand"]
                main_left, main_right = edges["main"]
                h1_left, h1_right = edges["h1"]
                text_left, text_right = edges["h1Text"]
                # A headline someone typed takes its own direction (dir="auto"), whatever the page's: the article's
                # and the submission's, English here, stay flush left on an Arabic page.
                heading_rtl = lang == "ar" and name not in ("article", "submission")
                if heading_rtl:
                    assert abs(text_right - h1_right) <= SLACK, (where, edges)
                else:
                    assert abs(text_left - h1_left) <= SLACK, (where, edges)
                if lang == "ar":
                    # The masthead's name on the right, where the content column starts.
                    assert abs(brand_right - main_right) <= 1, (where, edges)
                    if width == 1280:
                        assert brand_left > width / 2, (where, edges)
                else:
                    assert abs(brand_left - main_left) <= 1, (where, edges)
                    if width == 1280:
                        assert brand_right < width / 2, (where, edges)


def ink_wide_end(png: bytes) -> str:
    """Which end ("left" or "right") of a dark glyph on a light ground is the tall one: the head of an arrow (→ is
    tall on the right), the open side of a chevron (› is tall on the left)."""
    from PIL import Image  # only these browser tests read pixels

    picture = Image.open(io.BytesIO(png)).convert("L")
    width, height = picture.size
    pixels = picture.load()
    extents = []
    for x in range(width):
        ink = [y for y in range(height) if pixels[x, y] < 128]
        extents.append(ink[-1] - ink[0] + 1 if ink else 0)
    columns = [x for x, extent in enumerate(extents) if extent]
    assert columns, "no glyph was drawn"
    first, last = columns[0], columns[-1]
    third = max(1, (last - first + 1) // 3)
    left, right = max(extents[first:first + third]), max(extents[last - third + 1:last + 1])
    assert left != right, f"the glyph is as tall at both ends ({left}px)"
    return "left" if left > right else "right"


# Each character twice, 64px high: once in a .flip span, once plain in a left-to-right island (as a reference:
# neither turned by .flip nor mirrored by the bidi algorithm).
PROBE = """(characters) => {
    const probe = document.createElement('p');
    probe.id = 'probe';
    characters.forEach((character, i) => {
        for (const kind of ['flip', 'plain']) {
            const outer = document.createElement('span');
            outer.id = kind + '-' + i;
            outer.style.fontSize = '64px';
            outer.style.padding = '0 12px';
            const glyph = document.createElement('span');
            if (kind === 'flip') { glyph.className = 'flip'; } else { glyph.dir = 'ltr'; }
            glyph.textContent = character;
            outer.appendChild(glyph);
            probe.appendChild(outer);
        }
    });
    document.querySelector('main').prepend(probe);
}"""


@pytest.mark.browser
def test_arrows_in_a_flip_span_point_the_other_way_in_arabic_once(open_page, app):
    characters = ["→", "←", "‹", "›"]
    for lang in ("ar", "en"):
        page = open_page()
        speak(page, lang, "/login")
        page.evaluate(PROBE, characters)
        for i, character in enumerate(characters):
            flipped = ink_wide_end(page.locator(f"#flip-{i}").screenshot())
            plain = ink_wide_end(page.locator(f"#plain-{i}").screenshot())
            if lang == "ar":
                assert flipped != plain, f"{character} in .flip is not turned round in a right-to-left page"
            else:
                assert flipped == plain, f"{character} in .flip is turned round in a left-to-right page"
        # "Next →" points to where the line goes on: to the left in Arabic.
        assert ink_wide_end(page.locator("#flip-0").screenshot()) == ("left" if lang == "ar" else "right")
        save_shot(page, app, f"flip-1280-{lang}")


def shaded_edges(page) -> dict[str, bool]:
    """Whether each edge of the section bar is shaded: the median of its outermost columns of pixels is darker than
    the bar's white (the text of a section cut by the edge covers too few pixels to move the median)."""
    from PIL import Image  # only these browser tests read pixels

    picture = Image.open(io.BytesIO(page.locator(".section-nav ul").screenshot())).convert("L")
    width, height = picture.size

    def shaded(xs) -> bool:
        values = sorted(picture.getpixel((x, y)) for x in xs for y in range(height))
        return values[len(values) // 2] < 240

    return {"left": shaded(range(1, 4)), "right": shaded(range(width - 4, width - 1))}


@pytest.mark.browser
def test_the_section_bar_shows_where_more_sections_are_hidden_in_either_direction(open_page, factory, app):
    factory.user("contributor", email="rana@example.org", name="Rana Field")
    add_sections(app)
    for lang, end, start in (("en", "right", "left"), ("ar", "left", "right")):
        page = open_page(viewport={"width": 360, "height": 740})
        speak(page, lang, "/")
        bar = page.locator(".section-nav ul")
        assert bar.evaluate("el => el.scrollWidth > el.clientWidth"), "the sections fit a phone: add more"
        # At first the bar shows its start: the cue is at its end, where the hidden sections are.
        assert shaded_edges(page) == {end: True, start: False}, (lang, "at the start")
        save_shot(page, app, f"section-bar-360-{lang}")
        # Scrolled to the end (leftwards in Arabic): the cue moves to the start.
        bar.evaluate("el => { el.scrollLeft = (getComputedStyle(el).direction === 'rtl' ? -1 : 1) * el.scrollWidth; }")
        assert shaded_edges(page) == {end: False, start: True}, (lang, "at the end")
        # On a wide screen every section fits: no cue at all.
        page.set_viewport_size({"width": 1280, "height": 800})
        assert bar.evaluate("el => el.scrollWidth <= el.clientWidth")
        assert shaded_edges(page) == {"left": False, "right": False}, (lang, "on a wide screen")


def ink_side(png: bytes) -> str:
    """Which half of a field holds the typed text: "left" or "right"."""
    from PIL import Image  # only these browser tests read pixels

    picture = Image.open(io.BytesIO(png)).convert("L")
    width, height = picture.size
    # Inside the border and padding (2px + 0.65rem), where only the text is dark.
    columns = [x for x in range(16, width - 16) if any(picture.getpixel((x, y)) < 128 for y in range(8, height - 8))]
    assert columns, "no text in the field"
    middle = (columns[0] + columns[-1]) / 2
    return "left" if middle < width / 2 else "right"


@pytest.mark.browser
def test_typed_text_takes_its_own_direction_in_a_field(open_page, factory, app):
    factory.user("contributor", email="rana@example.org", name="Rana Field")
    page = open_page()
    sign_in(page, "rana@example.org")
    # Arabic typed on an English page runs from the right; an English headline from the left.
    speak(page, "en", "/pitch")
    page.locator("#headline").fill("مخابز الليل في المدينة القديمة")
    assert ink_side(page.locator("#headline").screenshot()) == "right"
    page.locator("#headline").fill("The night bakers")
    assert ink_side(page.locator("#headline").screenshot()) == "left"
    # And on an Arabic page, the other way round.
    speak(page, "ar", "/pitch")
    page.locator("#headline").fill("The night bakers")
    assert ink_side(page.locator("#headline").screenshot()) == "left"
    page.locator("#headline").fill("مخابز الليل في المدينة القديمة")
    assert ink_side(page.locator("#headline").screenshot()) == "right"
    page.locator("#summary").fill("Bakers work through the curfew.\nمخابز تعمل طوال حظر التجول.")
    save_shot(page, app, "pitch-typed-1280-ar")
