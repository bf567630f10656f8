"""The editorial workflow as data.

One table of transitions drives the guards in the services, the buttons each person sees, what each change
does to the story and whom it emails, the "Next step" each person reads, the database's CHECK constraints,
the audit log and the tests. Each row says:

- the action, the state it leaves and the state it enters, who may take it, the button and what it requires;
- its effects: what it changes besides the state (``Effect``; ``services.py`` carries out each one);
- its emails: to whom and which event (``Email``), or ``NO_EMAIL`` when it deliberately tells nobody;
- the next step, in the contributor's words and in the desk's, of a story in the state it enters;
- whether it commissions the story: from then on the story has an editor and a deadline.

The table is checked when this module is imported (``check_table``): a row that forgets its emails, names an
event that does not exist or sends it to someone it is not for, or disagrees with another row about the next
step, stops the app from starting, with the reason.
"""

from __future__ import annotations

import enum
import string
from collections import deque
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from workflow.notifications.events import CONTRIBUTOR, EVENTS, EVERYONE, SAMPLES, STAFF
from workflow.people.models import Role


class State(enum.Enum):
    PITCHED = "pitched"
    ASSIGNED = "assigned"
    EDITED = "edited"
    PUBLISHED = "published"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"

    @property
    def title(self) -> str:
        """The state's name on a page, in the reader's language ("Pitched"); ``value`` is what the database keeps."""
        return STATE_TITLES[self]

    @property
    def description(self) -> str:
        return STATE_DESCRIPTIONS[self]

    @property
    def next_step(self) -> NextStep:
        return NEXT_STEPS[self]


INITIAL_STATE = State.PITCHED  # where a pitch starts (``services.submit_pitch``)

STATE_TITLES = {
    State.PITCHED: _l("Pitched"),
    State.ASSIGNED: _l("Assigned"),
    State.EDITED: _l("Edited"),
    State.PUBLISHED: _l("Published"),
    State.DECLINED: _l("Declined"),
    State.WITHDRAWN: _l("Withdrawn"),
}

STATE_DESCRIPTIONS = {
    State.PITCHED: _l("Waiting for an editor to read the pitch"),
    State.ASSIGNED: _l("Commissioned: the contributor is writing or revising the draft"),
    State.EDITED: _l("The edited copy is ready for publication"),
    State.PUBLISHED: _l("Published"),
    State.DECLINED: _l("Declined by the desk"),
    State.WITHDRAWN: _l("Withdrawn by the contributor"),
}


class Actor(enum.Enum):
    """Who may take an action: the owning contributor, any editor, or an admin only."""

    OWNER = "owner"
    EDITOR = "editor"
    ADMIN = "admin"


class Requirement(enum.Enum):
    ASSIGNMENT = "assignment"  # an assigned editor and a deadline, optionally a fee and a word count
    COMMENT = "comment"  # a reason or message that goes to the contributor
    DRAFT = "draft"  # a draft revision exists


class Effect(enum.Enum):
    """What a transition changes besides the state. ``services.py`` carries out each one, in the row's order."""

    ASSIGNMENT = "assignment"  # the editor, the deadline, the length and the fee, as the form gives them
    PUBLICATION = "publication"  # the latest revision becomes the published text; the publishing steps run
    UNPUBLICATION = "unpublication"  # no longer published; the slug stays, so a republished story keeps its address
    RESTART_PROMISE = "restart_promise"  # back in the queue: the promise of an answer counts again from now


class Recipient(enum.Enum):
    """Who gets a transition's email."""

    CONTRIBUTOR = "contributor"  # the contributor who pitched the story
    EDITOR = "editor"  # the story's assigned editor, when it has one and they are not the person acting


# What every transition email carries: the story, who acted and their comment.
TRANSITION_PARAMS = frozenset({"submission_id", "headline", "actor", "comment"})
# What an email may carry besides: the assignment, as it stands after the transition (``services.py``).
EMAIL_DETAILS = frozenset({"deadline", "editor", "assigned_words", "fee"})
# Who may receive an event, by its audience (``notifications/events.py``).
AUDIENCES = {Recipient.CONTRIBUTOR: {CONTRIBUTOR, EVERYONE}, Recipient.EDITOR: {STAFF, EVERYONE}}


@dataclass(frozen=True)
class Email:
    to: Recipient
    event: str  # a name in ``notifications.events.EVENTS``, with its body in ``templates/emails/<event>.html``
    details: tuple[str, ...] = ()  # params beyond TRANSITION_PARAMS, from EMAIL_DETAILS


class _NoEmail(enum.Enum):
    NO_EMAIL = "no email"


NO_EMAIL = _NoEmail.NO_EMAIL  # a transition that deliberately tells nobody says so; an empty tuple is refused


@dataclass(frozen=True)
class NextStep:
    """What "Next step" says of a submission in a state: to its contributor, and to the desk.

    ``{by_deadline}`` becomes " by 04 May 2026" when the story has a deadline, and ``{on_publication_date}``
    " on 04 May 2026 UTC" when it has a publication time (``templates/macros/submissions.html``).
    """

    contributor: str
    desk: str

    def said(self, to_desk: bool, by_deadline: str = "", on_publication_date: str = "") -> str:
        """The next step as the reader reads it, in their language: the desk's words or the contributor's, with
        the story's date (already formatted) where the words have a slot for it and the story has one."""
        text = self.desk if to_desk else self.contributor
        plain, dated = NEXT_STEP_WORDS[text]
        slots = _slots(text)
        date = by_deadline if "by_deadline" in slots else on_publication_date if slots else ""
        return str(dated) % {"date": date} if dated is not None and date else str(plain)


NEXT_STEP_SLOTS = frozenset({"by_deadline", "on_publication_date"})

# The next steps, one per state; the rows below name the one of the state they enter.
AWAITING_AN_ANSWER = NextStep(contributor="An editor will read your pitch and answer.",
                              desk="Read the pitch, then assign it or decline it.")
WRITING = NextStep(contributor="Write and send your draft{by_deadline}.",
                   desk="Waiting for the draft{by_deadline}.")
READY_TO_PUBLISH = NextStep(contributor="The edited copy is ready; the editor will publish it.",
                            desk="Publish it, or ask the contributor for a revision.")
PUBLISHED = NextStep(contributor="Published{on_publication_date}.", desk="Published{on_publication_date}.")
DECLINED = NextStep(contributor="Declined by the desk.", desk="Declined by the desk.")
WITHDRAWN = NextStep(contributor="You withdrew this story.", desk="The contributor withdrew this story.")

INITIAL_NEXT_STEP = AWAITING_AN_ANSWER  # of a new pitch, which no row makes

# What each next step says on a page, in the reader's language: without a date, and with the date of its slot
# (``%(date)s``), as whole sentences (a translator needs the sentence, not " by " on its own).
NEXT_STEP_WORDS = {
    AWAITING_AN_ANSWER.contributor: (_l("An editor will read your pitch and answer."), None),
    AWAITING_AN_ANSWER.desk: (_l("Read the pitch, then assign it or decline it."), None),
    WRITING.contributor: (_l("Write and send your draft."), _l("Write and send your draft by %(date)s.")),
    WRITING.desk: (_l("Waiting for the draft."), _l("Waiting for the draft by %(date)s.")),
    READY_TO_PUBLISH.contributor: (_l("The edited copy is ready; the editor will publish it."), None),
    READY_TO_PUBLISH.desk: (_l("Publish it, or ask the contributor for a revision."), None),
    PUBLISHED.contributor: (_l("Published."), _l("Published on %(date)s.")),
    DECLINED.contributor: (_l("Declined by the desk."), None),
    WITHDRAWN.contributor: (_l("You withdrew this story."), None),
    WITHDRAWN.desk: (_l("The contributor withdrew this story."), None),
}


@dataclass(frozen=True, kw_only=True)
class Transition:
    action: str
    source: State
    target: State
    actor: Actor
    label: str  # the button, in the reader's language (a lazy string)
    done: str  # what the actor did, in the past tense: "assigned the story" (a key of DONE_BY_YOU, DONE_BY_SOMEONE)
    emails: tuple[Email, ...] | _NoEmail  # required: NO_EMAIL, never an empty tuple, means "tells nobody"
    next_step: NextStep  # of a story in ``target``
    requires: frozenset[Requirement] = frozenset()
    effects: tuple[Effect, ...] = ()
    commissions: bool = False  # from here on the story has an editor and a deadline
    comment_label: str = _l("Comment")
    style: str = "primary"

    @property
    def sends(self) -> tuple[Email, ...]:
        """The emails to send, in order (none for NO_EMAIL)."""
        return () if self.emails is NO_EMAIL else self.emails

    def allows_role(self, role: Role, is_owner: bool) -> bool:
        """Whether someone with ``role`` (owning the submission or not) may take this transition."""
        if self.actor is Actor.OWNER:
            return is_owner and role is Role.CONTRIBUTOR
        if self.actor is Actor.EDITOR:
            return role.is_staff
        return role is Role.ADMIN


def _to_contributor(event: str, *details: str) -> Email:
    return Email(Recipient.CONTRIBUTOR, event, details)


def _to_editor(event: str, *details: str) -> Email:
    return Email(Recipient.EDITOR, event, details)


ASSIGNMENT_DETAILS = ("deadline", "editor", "assigned_words", "fee")
KILLED_OR_DECLINED = _to_contributor("submission.declined")
WITHDRAWN_TO_EDITOR = _to_editor("submission.withdrawn")
WITHDRAW_COMMENT = _l("Anything the desk should know (optional)")
REASON = _l("Reason, sent to the contributor")

TRANSITIONS: tuple[Transition, ...] = (
    Transition(action="assign", source=State.PITCHED, target=State.ASSIGNED, actor=Actor.EDITOR,
               label=_l("Assign"), done="assigned the story",
               requires=frozenset({Requirement.ASSIGNMENT}), effects=(Effect.ASSIGNMENT,), commissions=True,
               emails=(_to_contributor("submission.assigned", *ASSIGNMENT_DETAILS),
                       _to_editor("submission.assigned_to_you", "deadline")),
               next_step=WRITING),
    Transition(action="decline", source=State.PITCHED, target=State.DECLINED, actor=Actor.EDITOR,
               label=_l("Decline"), done="declined the pitch",
               requires=frozenset({Requirement.COMMENT}), comment_label=REASON, style="danger",
               emails=(KILLED_OR_DECLINED,), next_step=DECLINED),
    Transition(action="decline", source=State.ASSIGNED, target=State.DECLINED, actor=Actor.EDITOR,
               label=_l("Kill the story"), done="killed the story",
               requires=frozenset({Requirement.COMMENT}), comment_label=REASON, style="danger",
               emails=(KILLED_OR_DECLINED,), next_step=DECLINED),
    Transition(action="mark_edited", source=State.ASSIGNED, target=State.EDITED, actor=Actor.EDITOR,
               label=_l("Mark edited"), done="marked the story edited",
               requires=frozenset({Requirement.DRAFT}),
               emails=(_to_contributor("submission.edited"),), next_step=READY_TO_PUBLISH),
    Transition(action="request_revision", source=State.EDITED, target=State.ASSIGNED, actor=Actor.EDITOR,
               label=_l("Needs revision"), done="asked for a revision",
               requires=frozenset({Requirement.COMMENT}), comment_label=_l("What to revise, sent to the contributor"),
               style="secondary",
               emails=(_to_contributor("submission.revision_requested"),), next_step=WRITING),
    Transition(action="publish", source=State.EDITED, target=State.PUBLISHED, actor=Actor.EDITOR,
               label=_l("Publish"), done="published the story",
               requires=frozenset({Requirement.DRAFT}), effects=(Effect.PUBLICATION,),
               emails=(_to_contributor("submission.published"),), next_step=PUBLISHED),
    Transition(action="unpublish", source=State.PUBLISHED, target=State.EDITED, actor=Actor.ADMIN,
               label=_l("Unpublish"), done="unpublished the story",
               requires=frozenset({Requirement.COMMENT}), effects=(Effect.UNPUBLICATION,),
               comment_label=_l("Reason for unpublishing"), style="danger",
               emails=(_to_contributor("submission.unpublished"), _to_editor("submission.unpublished")),
               next_step=READY_TO_PUBLISH),
    Transition(action="reopen", source=State.DECLINED, target=State.PITCHED, actor=Actor.EDITOR,
               label=_l("Reopen the pitch"), done="reopened the pitch",
               requires=frozenset({Requirement.COMMENT}), effects=(Effect.RESTART_PROMISE,),
               comment_label=_l("Why it is back in the queue"), style="secondary",
               emails=(_to_contributor("submission.reopened"),), next_step=AWAITING_AN_ANSWER),
    Transition(action="withdraw", source=State.PITCHED, target=State.WITHDRAWN, actor=Actor.OWNER,
               label=_l("Withdraw my pitch"), done="withdrew the pitch", comment_label=WITHDRAW_COMMENT,
               style="danger",
               emails=(WITHDRAWN_TO_EDITOR,), next_step=WITHDRAWN),
    Transition(action="withdraw", source=State.ASSIGNED, target=State.WITHDRAWN, actor=Actor.OWNER,
               label=_l("Withdraw my story"), done="withdrew the story", comment_label=WITHDRAW_COMMENT,
               style="danger",
               emails=(WITHDRAWN_TO_EDITOR,), next_step=WITHDRAWN),
)

# What the person who took a row reads once it is done, in their language; ``%(state)s`` is the state it entered.
DONE_BY_YOU = {
    "assigned the story": _l("You assigned the story. It is now %(state)s."),
    "declined the pitch": _l("You declined the pitch. It is now %(state)s."),
    "killed the story": _l("You killed the story. It is now %(state)s."),
    "marked the story edited": _l("You marked the story edited. It is now %(state)s."),
    "asked for a revision": _l("You asked for a revision. It is now %(state)s."),
    "published the story": _l("You published the story. It is now %(state)s."),
    "unpublished the story": _l("You unpublished the story. It is now %(state)s."),
    "reopened the pitch": _l("You reopened the pitch. It is now %(state)s."),
    "withdrew the pitch": _l("You withdrew the pitch. It is now %(state)s."),
    "withdrew the story": _l("You withdrew the story. It is now %(state)s."),
}

# What the dashboard and the queue say a row did, as a story's last activity, in the reader's language
# (workflow/submissions/activity.py); ``%(name)s`` is who took it.
DONE_BY_SOMEONE = {
    "assigned the story": _l("%(name)s assigned the story"),
    "declined the pitch": _l("%(name)s declined the pitch"),
    "killed the story": _l("%(name)s killed the story"),
    "marked the story edited": _l("%(name)s marked the story edited"),
    "asked for a revision": _l("%(name)s asked for a revision"),
    "published the story": _l("%(name)s published the story"),
    "unpublished the story": _l("%(name)s unpublished the story"),
    "reopened the pitch": _l("%(name)s reopened the pitch"),
    "withdrew the pitch": _l("%(name)s withdrew the pitch"),
    "withdrew the story": _l("%(name)s withdrew the story"),
}

ACTIONS: tuple[str, ...] = tuple(dict.fromkeys(t.action for t in TRANSITIONS))


def find_transition(source: State, action: str) -> Transition | None:
    for transition in TRANSITIONS:
        if transition.source is source and transition.action == action:
            return transition
    return None


def available_transitions(state: State, role: Role, is_owner: bool) -> list[Transition]:
    """The transitions someone may take from ``state``: the buttons they see."""
    return [t for t in TRANSITIONS if t.source is state and t.allows_role(role, is_owner)]


# What the table implies -------------------------------------------------------------------------------------


def reachable(start: State, transitions=TRANSITIONS, skip=lambda t: False) -> set[State]:
    """The states reachable from ``start`` through the rows ``skip`` does not leave out."""
    seen, todo = {start}, deque([start])
    while todo:
        state = todo.popleft()
        for t in transitions:
            if t.source is state and t.target not in seen and not skip(t):
                seen.add(t.target)
                todo.append(t.target)
    return seen


def commissioned_states(transitions=TRANSITIONS) -> tuple[State, ...]:
    """The states a story cannot reach without being commissioned: it has an editor and a deadline there."""
    uncommissioned = reachable(INITIAL_STATE, transitions, skip=lambda t: t.commissions)
    return tuple(s for s in State if s not in uncommissioned)


def published_states(transitions=TRANSITIONS) -> tuple[State, ...]:
    """The states that only publication enters: a story there has a publication time and a slug."""
    return tuple(s for s in State if any(t.target is s and Effect.PUBLICATION in t.effects for t in transitions))


# The table checked at import ----------------------------------------------------------------------------------


class WorkflowTableError(ValueError):
    """The transition table contradicts itself or the events it names."""


def _slots(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _check_emails(where: str, t: Transition) -> list[str]:
    if t.emails is NO_EMAIL:
        return []
    if not isinstance(t.emails, tuple) or not t.emails:
        return [f"{where}: emails must name each email, or be NO_EMAIL if it deliberately tells nobody"]
    problems = []
    for email in t.emails:
        if not isinstance(email, Email):
            problems.append(f"{where}: {email!r} is not an Email")
            continue
        event = EVENTS.get(email.event)
        if event is None:
            problems.append(f"{where}: no event {email.event!r} in notifications/events.py")
            continue
        if event.audience not in AUDIENCES[email.to]:
            problems.append(f"{where}: {email.event} is for {event.audience}, not for the {email.to.value}")
        if unknown := set(email.details) - EMAIL_DETAILS:
            problems.append(f"{where}: {email.event} carries unknown details {sorted(unknown)}")
        sample = SAMPLES.get(email.event)
        if sample is not None and set(sample) != TRANSITION_PARAMS | set(email.details):
            problems.append(f"{where}: {email.event} carries {sorted(TRANSITION_PARAMS | set(email.details))}, "
                            f"its sample in notifications/events.py {sorted(sample)}")
    return problems


def check_table(transitions: tuple[Transition, ...] = TRANSITIONS) -> None:
    """Raise WorkflowTableError naming every row that contradicts the rules of the table."""
    problems: list[str] = []
    seen: set[tuple[State, str]] = set()
    next_steps: dict[State, NextStep] = {INITIAL_STATE: INITIAL_NEXT_STEP}
    for t in transitions:
        where = f"{t.source.value} --{t.action}--> {t.target.value}"
        if (t.source, t.action) in seen:
            problems.append(f"{where}: a second row for this action from this state")
        seen.add((t.source, t.action))
        problems += _check_emails(where, t)
        if len(set(t.effects)) != len(t.effects) or not all(isinstance(e, Effect) for e in t.effects):
            problems.append(f"{where}: effects must be distinct Effects")
        if (Effect.ASSIGNMENT in t.effects) != (Requirement.ASSIGNMENT in t.requires):
            problems.append(f"{where}: the assignment effect and the assignment requirement go together")
        if t.commissions != (Effect.ASSIGNMENT in t.effects):
            problems.append(f"{where}: a row commissions the story exactly when it assigns it")
        if Effect.PUBLICATION in t.effects and Requirement.DRAFT not in t.requires:
            problems.append(f"{where}: publication needs a draft")
        for text in (t.next_step.contributor, t.next_step.desk):
            if unknown := _slots(text) - NEXT_STEP_SLOTS:
                problems.append(f"{where}: the next step names unknown slots {sorted(unknown)}")
            if text not in NEXT_STEP_WORDS:
                problems.append(f"{where}: the next step {text!r} has no words in NEXT_STEP_WORDS")
        if t.done not in DONE_BY_YOU or t.done not in DONE_BY_SOMEONE:
            problems.append(f"{where}: {t.done!r} has no sentence in DONE_BY_YOU or DONE_BY_SOMEONE")
        if next_steps.setdefault(t.target, t.next_step) != t.next_step:
            problems.append(f"{where}: another row (or the pitch) words the next step in {t.target.value} "
                            "differently")
    can_reach = reachable(INITIAL_STATE, transitions)
    for state in State:
        if state not in can_reach:
            problems.append(f"{state.value}: no row leads there")
        if state not in next_steps:
            problems.append(f"{state.value}: no next step")
    for state in published_states(transitions):
        if any(t.target is state and Effect.PUBLICATION not in t.effects for t in transitions):
            problems.append(f"{state.value}: every row into a published state publishes")
    if problems:
        raise WorkflowTableError("The workflow table is wrong:\n" + "\n".join(problems))


check_table()

NEXT_STEPS: dict[State, NextStep] = {INITIAL_STATE: INITIAL_NEXT_STEP, **{t.target: t.next_step for t in TRANSITIONS}}
