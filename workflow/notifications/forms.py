"""The preferences form: one choice per kind of event the person can receive, and discreet emails (also asked at
registration)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectChoice

from workflow.notifications.events import Event
from workflow.notifications.models import Choice

DISCREET_LABEL = _l("Discreet emails: they only say “there is news on the desk”")
DISCREET_HINT = _l("Our emails then name no story, no person and nothing anyone wrote, in case someone else reads "
                   "your mailbox; you read the news after signing in. Emails about your account's security stay as "
                   "they are, and never name a story.")

# What each choice is called on the page. An event with only "immediately" and "never" (the desk's daily
# summary) is itself a summary: "Immediately" would read as if it came at once, so it says what it does.
CHOICE_TITLES = {Choice.IMMEDIATELY: _l("Immediately"), Choice.DIGEST: _l("In the daily digest"),
                 Choice.NEVER: _l("Never")}
SUMMARY_TITLES = {Choice.IMMEDIATELY: _l("Email it to me every day"), Choice.NEVER: _l("Do not email it")}


def choice_title(spec: Event, choice: Choice):
    """The choice's name on the page (a lazy string, for the form class)."""
    return SUMMARY_TITLES[choice] if spec.name == "digest.daily" else CHOICE_TITLES[choice]


def discreet_field(default: bool) -> BooleanField:
    return BooleanField(DISCREET_LABEL, default=default, description=DISCREET_HINT)


def field_name(event: str) -> str:
    return "event_" + event.replace(".", "__")


def preferences_form(events: list[Event], current: dict[str, Choice], discreet: bool, **kwargs) -> FlaskForm:
    """A form class made for this person's events (contributors and the desk receive different ones)."""

    class PreferencesForm(FlaskForm):
        discreet_emails = discreet_field(discreet)

    for spec in events:
        setattr(PreferencesForm, field_name(spec.name), RadioField(
            spec.label, choices=[SelectChoice(choice.value, choice_title(spec, choice)) for choice in spec.choices],
            default=current[spec.name].value,
        ))
    return PreferencesForm(**kwargs)


def rows(form, events: list[Event]) -> list[tuple[Event, object]]:
    """Each event with its field, in the order of the page."""
    return [(spec, form[field_name(spec.name)]) for spec in events]


def chosen(form, events: list[Event]) -> dict[str, Choice]:
    return {spec.name: Choice(form[field_name(spec.name)].data) for spec in events}
