"""The dashboard on a 360 px phone, in English and in Arabic: the "Next step" of a pitch and the promise of an
answer under it take the card's width, one under the other, instead of squeezing beside the column's name a word
per line. In a real headless Chromium (the fixtures come from ``tests/browsers.py``)."""

from __future__ import annotations

import pytest

from tests.browsers import shot, sign_in

pytestmark = pytest.mark.browser

PHONE_360 = {"viewport": {"width": 360, "height": 740}}

# The boxes of the dashboard's first row: the row, the next step's cell, and the promise under the next step.
NEXT_STEP_BOXES = """() => {
    const row = document.querySelector('table.stack-on-phone tbody tr');
    const cell = row.querySelectorAll('td')[2];
    const promise = cell.querySelector('.meta');
    const box = el => { const b = el.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; };
    const range = document.createRange();
    range.setStart(cell, 0);
    range.setEnd(cell, 1);  // the first words of the cell: the next step itself
    const step = range.getBoundingClientRect();
    return {row: box(row), cell: box(cell), promise: box(promise), step: [step.left, step.top, step.right, step.bottom],
            direction: getComputedStyle(cell).direction};
}"""


@pytest.mark.parametrize("language, direction", [("en", "ltr"), ("ar", "rtl")])
def test_the_next_step_and_the_promise_stack_on_a_phone(open_page, factory, app, language, direction):
    rana = factory.user("contributor", email="rana@example.org", name="Rana Reporter")
    factory.submission(rana, headline="Night bakers defy the curfew")
    page = open_page(**PHONE_360)
    sign_in(page, "rana@example.org")
    page.goto(f"/language/{language}")
    page.goto("/dashboard")
    assert page.locator("html").get_attribute("dir") == direction
    shot(page, f"phone-360-dashboard-{language}", app)
    boxes = page.evaluate(NEXT_STEP_BOXES)
    assert boxes["direction"] == direction
    row_width = boxes["row"][2] - boxes["row"][0]
    promise_width = boxes["promise"][2] - boxes["promise"][0]
    # The promise has the card's width (less the row's padding), not a sliver beside the next step.
    assert promise_width >= 0.8 * row_width, boxes
    # …and it starts under the next step, not beside it.
    assert boxes["promise"][1] >= boxes["step"][3] - 1, boxes
