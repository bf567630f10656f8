"""Every kind of notification: its subject, who gets it, and how the recipient may choose to hear about it.

The email body is ``templates/emails/<event>.html``; its wording (and the subject, a Jinja template over the
notification's params) can be replaced by the desk from the admin pages.

Account and security mail (``security=True``) always goes out by email and never appears in the bell or in a
digest. Every other event appears in the recipient's in-app list and, by email, as the recipient chose:
immediately, in the daily digest, or never.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from workflow.notifications.models import Choice

CONTRIBUTOR = "contributor"
STAFF = "staff"
EVERYONE = "everyone"
READERS = "readers"  # newsletter subscribers: an address, no account, so no choices and no bell

ALL_CHOICES = (Choice.IMMEDIATELY, Choice.DIGEST, Choice.NEVER)


@dataclass(frozen=True)
class Event:
    name: str
    subject: str  # a Jinja template over the notification's params (and ``outlet``)
    security: bool = False
    label: str = ""  # for the preferences page: "when …" (a lazy string: it is read in the reader's language)
    audience: str = EVERYONE  # who can receive it: contributors, the desk (editors and admins), or both
    choices: tuple[Choice, ...] = ALL_CHOICES
    in_app: bool = True  # also shown in the recipient's list of notifications

    @property
    def has_choice(self) -> bool:
        """On the preferences page. Readers have no account: they unsubscribe from the newsletter itself."""
        return not self.security and self.audience != READERS

    @property
    def one_click_unsubscribe(self) -> bool:
        """Everything that is not about the account's security carries List-Unsubscribe (RFC 8058)."""
        return not self.security

    def concerns(self, is_staff: bool) -> bool:
        """Whether someone with an account (a contributor, or the desk) can receive it."""
        if self.audience == READERS:
            return False
        return self.audience == EVERYONE or (self.audience == STAFF) == is_staff


def _security(name: str, subject: str) -> Event:
    return Event(name, subject, security=True, in_app=False, choices=(Choice.IMMEDIATELY,))


EVENTS: dict[str, Event] = {
    e.name: e
    for e in (
        _security("account.confirm_email", "Confirm your email address"),
        _security("account.already_registered", "About your {{ outlet }} account"),
        _security("account.confirm_new_email", "Confirm your new email address"),
        _security("account.email_changed", "Your email address was changed"),
        _security("account.reset_password", "Reset your password"),
        _security("account.password_changed", "Your password was changed"),
        _security("account.invitation", "You are invited to join the {{ outlet }} desk as {{ role }}"),
        _security("account.role_changed", "Your role on the desk is now {{ role }}"),
        _security("account.sign_in_link", "Finish signing in to your account"),
        _security("account.new_sign_in", "A sign-in to your account from a new device"),
        _security("account.factor_added", "A second sign-in step was added to your account"),
        _security("account.factor_removed", "A second sign-in step was removed from your account"),
        _security("account.recovery_code_used", "A recovery code was used to sign in to your account"),
        _security("account.recovery_codes_regenerated", "New recovery codes were made for your account"),
        Event("submission.received", "We received your pitch: {{ headline }}", audience=CONTRIBUTOR,
              label=_l("The desk received my pitch")),
        Event("submission.assigned", "Your pitch was commissioned: {{ headline }}", audience=CONTRIBUTOR,
              label=_l("An editor commissions my pitch")),
        Event("submission.declined", "About your pitch: {{ headline }}", audience=CONTRIBUTOR,
              label=_l("The desk declines my pitch or kills my story")),
        Event("submission.edited", "Your story is edited and ready: {{ headline }}", audience=CONTRIBUTOR,
              label=_l("My editor has edited my story")),
        Event("submission.revision_requested", "Your editor asks for a revision: {{ headline }}",
              audience=CONTRIBUTOR, label=_l("My editor asks for a revision")),
        Event("submission.published", "Published: {{ headline }}", audience=CONTRIBUTOR,
              label=_l("My story is published")),
        Event("submission.unpublished", "Unpublished: {{ headline }}", label=_l("A published story is taken down")),
        Event("submission.reopened", "Your pitch is back in the queue: {{ headline }}", audience=CONTRIBUTOR,
              label=_l("A declined pitch of mine is back in the queue")),
        Event("reminder.deadline_soon", "Your draft is due on {{ deadline }}: {{ headline }}",
              audience=CONTRIBUTOR, label=_l("Reminder: my draft is due in two days")),
        Event("reminder.overdue", "Your draft is overdue: {{ headline }}", audience=CONTRIBUTOR,
              label=_l("Reminder: my draft is past its deadline")),
        Event("submission.message", "New message from {{ author }} about: {{ headline }}",
              label=_l("Someone writes to me about a story")),
        Event("submission.new_pitch", "New pitch: {{ headline }}", audience=STAFF,
              label=_l("A contributor sends a new pitch")),
        Event("submission.assigned_to_you", "Assigned to you: {{ headline }}", audience=STAFF,
              label=_l("A story is assigned to me")),
        Event("submission.draft_saved", "New draft from {{ author }}: {{ headline }}", audience=STAFF,
              label=_l("A contributor saves a draft of my story")),
        Event("submission.withdrawn", "Withdrawn by the contributor: {{ headline }}", audience=STAFF,
              label=_l("A contributor withdraws a story I edit")),
        # Whatever someone chose to get "in the daily digest" goes out in it; for the desk it also sums up the
        # day (new pitches, deadlines, overdue drafts, late answers), which an editor may turn off.
        Event("digest.daily", "Your daily digest from the {{ outlet }} desk", in_app=False, audience=STAFF,
              choices=(Choice.IMMEDIATELY, Choice.NEVER),
              label=_l("The desk's daily summary: new pitches, deadlines today, overdue drafts and late answers")),
        # The newsletter (workflow/newsletter/): sent to a subscriber's address, never to an account. The
        # confirmation carries the double opt-in link and no List-Unsubscribe (there is nothing to leave yet);
        # each weekly issue carries the subscriber's own one-click unsubscribe link.
        Event("newsletter.confirm", "Confirm your subscription to the {{ outlet }} newsletter", security=True,
              audience=READERS, in_app=False, choices=(Choice.IMMEDIATELY,)),
        Event("newsletter.weekly", "This week in {{ outlet }}: {{ article_count }} new "
              "{{ 'story' if article_count == 1 else 'stories' }}", audience=READERS, in_app=False,
              choices=(Choice.IMMEDIATELY,), label=_l("The weekly newsletter")),
    )
}


def choices_for(is_staff: bool) -> list[Event]:
    """The events someone with this role can choose about, in the order of the preferences page."""
    return [e for e in EVENTS.values() if e.has_choice and e.concerns(is_staff)]


# Samples: each event's params as notify() is called with them, for the previews of the admin pages and for the
# tests that render every email. Beside the events, so that a new event comes with its sample.
NO_RECIPIENT = {"account.invitation"}  # sent to an address, not to an account
SAMPLE_RECIPIENT = "Rana Field"
_STORY = {"submission_id": 42, "headline": "The night bakers of the old city"}
_TRANSITION = {**_STORY, "actor": "Sam Editor", "comment": ""}
SAMPLES: dict[str, dict] = {
    "account.already_registered": {},
    "account.confirm_email": {"user_id": 7, "email_to_confirm": "rana.field@example.org"},
    "account.confirm_new_email": {"user_id": 7, "email_to_confirm": "rana.new@example.org"},
    "account.email_changed": {"new_email": "rana.new@example.org"},
    "account.reset_password": {"user_id": 7},
    "account.password_changed": {"user_id": 7},
    "account.invitation": {"invitation_id": 3, "role": "editor", "inviter": "Ada Admin"},
    "account.role_changed": {"role": "editor"},
    "account.sign_in_link": {"user_id": 7, "remember": False, "next_page": ""},
    # The device's name is worded from its browser and system in the reader's language (notifications.render).
    "account.new_sign_in": {"user_id": 7, "browser": "Firefox", "system": "Windows", "device": "Firefox on Windows"},
    "account.factor_added": {"user_id": 7, "factor": "authenticator app"},
    "account.factor_removed": {"user_id": 7, "factor": "authenticator app", "by_admin": False},
    "account.recovery_code_used": {"user_id": 7, "left": 9},
    "account.recovery_codes_regenerated": {"user_id": 7},
    "submission.received": dict(_STORY),
    "submission.new_pitch": {**_STORY, "author": "R. Field"},
    "submission.assigned": {**_TRANSITION, "deadline": "2026-05-04", "editor": "Sam Editor",
                            "assigned_words": 1200, "fee": "450.00"},
    "submission.assigned_to_you": {**_TRANSITION, "actor": "Ada Admin", "deadline": "2026-05-04"},
    "submission.declined": {**_TRANSITION, "comment": "We covered the bakeries last month; the millers would be new."},
    "submission.edited": dict(_TRANSITION),
    "submission.revision_requested": {**_TRANSITION, "comment": "Please add a second source for the flour prices."},
    "submission.published": dict(_TRANSITION),
    "submission.unpublished": {**_TRANSITION, "comment": "A source asked us to check a figure."},
    "submission.reopened": {**_TRANSITION, "comment": "The story is timely again."},
    "submission.withdrawn": {**_TRANSITION, "actor": "Rana Field", "comment": "I cannot reach my sources now."},
    "submission.message": {**_STORY, "author": "Sam Editor", "body": "Could you send the photos by Friday?"},
    "submission.draft_saved": {**_STORY, "author": "Rana Field", "number": 2, "note": "Added the millers' union."},
    # workflow/reminders/services.py
    # Days and moments are machine values, written in each reader's language and zone (notifications.render).
    "reminder.deadline_soon": {**_STORY, "deadline": "2026-05-04", "editor": "Sam Editor", "zone": "UTC"},
    "reminder.overdue": {**_STORY, "deadline": "2026-05-04", "editor": "Sam Editor", "zone": "UTC"},
    "digest.daily": {
        "day": "2026-05-02", "staff": True, "desk": True, "promise_days": 7,
        "held": [{"subject": "New message from Rana Field about: The night bakers of the old city",
                  "submission_id": 42, "at": "2026-05-01T16:20:00+00:00"}], "held_more": 0,
        "new_pitches": [{"id": 43, "headline": "Water trucks at dawn", "author": "R. Field", "editor": "",
                         "date": "2026-05-01T09:12:00+00:00"}], "new_pitches_more": 0,
        "due_today": [], "due_today_more": 0, "overdue": [], "overdue_more": 0,
        "past_promise": [], "past_promise_more": 0,
    },
}
