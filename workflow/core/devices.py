"""What a signed-in browser is called, in the reader's language: "Firefox on Windows", "فايرفوكس على Windows".

The database keeps the browser's and the system's families as the user agent names them (product names, which
are not translated); the sentence around them is worded when it is read, on the devices page and in the email
about a new device. Rows written before kept the whole English sentence, which is shown as it is.

Shared by accounts (the devices page) and notifications (the email), which import each other only one way.
"""

from __future__ import annotations

from flask_babel import gettext as _

NAME_LENGTH = 60


def device_name(browser: str | None, system: str | None, stored: str = "") -> str:
    """The device's name in the language being spoken; ``stored`` is an older row's whole English name."""
    if stored and not browser and not system:
        return stored
    if browser and system:
        return _("%(browser)s on %(system)s", browser=browser, system=system)
    if browser:
        return _("%(browser)s on an unknown system", browser=browser)
    if system:
        return _("A browser on %(system)s", system=system)
    return _("An unknown browser")
