"""``flask --app workflow users ...``: accounts managed from the shell, checked through the web app they affect."""

from __future__ import annotations

import pytest

from tests.helpers import PASSWORD, Client, can_sign_in, input_value, signed_in, still_signed_in, text_of


@pytest.fixture
def users(app, clean_db):
    """Run ``flask users <args>`` as the shell would; ``input`` answers the prompts."""
    runner = app.test_cli_runner()

    def run(*args: str, input: str | None = None):
        return runner.invoke(args=["users", *args], input=input)

    return run


def listed(users) -> dict[str, list[str]]:
    """``users list`` as email -> [id, role, state, name]."""
    result = users("list")
    assert result.exit_code == 0, result.output
    rows = {}
    for line in result.output.splitlines():
        number, role, state, email, name = line.split(maxsplit=4)
        rows[email] = [number, role, state, name]
    return rows


def test_create_an_admin_from_options(app, users):
    result = users("create", "--email", "Chief@Example.org", "--name", "Chief Editor", "--role", "admin",
                   "--password", PASSWORD)
    assert result.exit_code == 0, result.output
    assert "Created admin chief@example.org" in result.output

    chief = signed_in(app, "chief@example.org")
    assert chief.get("/admin/people").status_code == 200
    assert input_value(chief.get("/account"), "display_name") == "Chief Editor"


def test_create_asks_for_what_is_missing(app, users):
    result = users("create", "--role", "editor", input=f"desk@example.org\nDesk Person\n{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Created editor desk@example.org" in result.output
    assert listed(users)["desk@example.org"][1:] == ["editor", "confirmed", "(Desk Person)"]
    assert signed_in(app, "desk@example.org").get("/queue").status_code == 200


def test_create_makes_a_contributor_by_default_with_the_name_as_byline(app, users):
    result = users("create", "--email", "writer@example.org", "--name", "Wren Writer", "--password", PASSWORD)
    assert result.exit_code == 0, result.output
    writer = signed_in(app, "writer@example.org")
    assert writer.get("/dashboard").status_code == 200
    assert writer.get("/queue").status_code == 403
    assert input_value(writer.get("/account"), "byline_name") == "Wren Writer"


def _discreet_box(app, email: str) -> bool:
    import re

    page = signed_in(app, email).get("/account/notifications").get_data(as_text=True)
    box = re.search(r'<input[^>]*name="discreet_emails"[^>]*>', page)
    assert box, "no discreet emails box on the preferences page"
    return "checked" in box.group(0)


def test_create_gives_the_role_default_discreet_emails_unless_told(app, users):
    for email, role, flags in [("c1@example.org", "contributor", []), ("e1@example.org", "editor", []),
                               ("c2@example.org", "contributor", ["--detailed-emails"]),
                               ("e2@example.org", "editor", ["--discreet-emails"])]:
        result = users("create", "--email", email, "--name", "Some Person", "--role", role, "--password",
                       PASSWORD, *flags)
        assert result.exit_code == 0, result.output
    assert [_discreet_box(app, email) for email in ("c1@example.org", "e1@example.org")] == [True, False]
    assert [_discreet_box(app, email) for email in ("c2@example.org", "e2@example.org")] == [False, True]


@pytest.mark.parametrize(("arguments", "prompts", "message"), [
    pytest.param(["--password", "short"], None, "The password needs at least 12 characters.", id="short password"),
    pytest.param(["--password", "x" * 11], None, "The password needs at least 12 characters.", id="11 characters"),
    pytest.param([], "short\nshort\n", "The password needs at least 12 characters.", id="short password typed"),
    pytest.param(["--password", PASSWORD, "--role", "owner"], None, "'owner' is not one of", id="unknown role"),
    pytest.param(["--password", PASSWORD, "--email", "not an address"], None,
                 "'not an address' is not an email address", id="not an address"),
    pytest.param(["--password", PASSWORD, "--name", "  "], None, "The name cannot be empty.", id="blank name"),
])
def test_create_refuses_what_would_make_a_bad_account(app, users, arguments, prompts, message):
    options = {"--email": "someone@example.org", "--name": "Some One"}
    for flag, value in zip(arguments[::2], arguments[1::2], strict=True):
        options[flag] = value
    args = [part for pair in options.items() for part in pair]
    result = users("create", *args, input=prompts)
    assert result.exit_code != 0
    assert message in result.output
    assert "Created" not in result.output
    assert listed(users) == {}


def test_create_refuses_an_address_that_has_an_account(app, users, factory):
    factory.user("contributor", email="taken@example.org")
    result = users("create", "--email", "Taken@example.org", "--name", "Twin", "--role", "admin",
                   "--password", "another long passphrase")
    assert result.exit_code == 1
    assert "An account with this email address already exists." in result.output
    assert listed(users)["taken@example.org"][1] == "contributor"
    assert can_sign_in(app, "taken@example.org", PASSWORD)


def test_list_shows_every_account_with_its_role_and_state(app, users, factory):
    admin = factory.user("admin", email="admin@example.org", name="Ada Admin")
    factory.user("editor", email="editor@example.org", name="Ed Itor")
    factory.user("contributor", email="new@example.org", name="New Person", confirmed=False)
    factory.user("contributor", email="gone@example.org", name="Gone Person")
    users("disable", "gone@example.org")

    assert listed(users) == {
        "admin@example.org": [str(admin.id), "admin", "confirmed", "(Ada Admin)"],
        "editor@example.org": [str(admin.id + 1), "editor", "confirmed", "(Ed Itor)"],
        "new@example.org": [str(admin.id + 2), "contributor", "unconfirmed", "(New Person)"],
        "gone@example.org": [str(admin.id + 3), "contributor", "disabled", "(Gone Person)"],
    }


def test_list_of_no_accounts_is_empty(users):
    result = users("list")
    assert result.exit_code == 0 and result.output == ""


def test_set_role_takes_effect_in_the_running_session(app, users, factory):
    person = factory.user("contributor")
    browser = signed_in(app, person)
    assert browser.get("/admin/people").status_code == 403

    result = users("set-role", person.email.upper(), "admin")
    assert result.exit_code == 0, result.output
    assert f"{person.email} is now admin." in result.output
    assert browser.get("/admin/people").status_code == 200
    assert listed(users)[person.email][1] == "admin"


def test_set_role_refuses_an_unknown_role(users, factory):
    person = factory.user("contributor")
    result = users("set-role", person.email, "owner")
    assert result.exit_code == 2
    assert "'owner' is not one of 'contributor', 'editor', 'admin'" in result.output
    assert listed(users)[person.email][1] == "contributor"


def test_disable_ends_sessions_and_enable_lets_the_person_back_in(app, users, factory):
    person = factory.user("editor")
    browser = signed_in(app, person)

    result = users("disable", person.email)
    assert result.exit_code == 0, result.output
    assert f"{person.email} is disabled." in result.output
    assert not still_signed_in(browser)
    assert not can_sign_in(app, person.email)
    assert users("disable", person.email).exit_code == 0  # twice is harmless

    result = users("enable", person.email)
    assert result.exit_code == 0, result.output
    assert f"{person.email} is enabled." in result.output
    assert not still_signed_in(browser)  # an ended session stays ended
    assert can_sign_in(app, person.email)
    assert listed(users)[person.email][2] == "confirmed"


@pytest.mark.parametrize("command", ["set-role", "disable", "enable"])
def test_an_unknown_address_is_a_clear_error(users, command):
    args = ["nobody@example.org", "editor"] if command == "set-role" else ["nobody@example.org"]
    result = users(command, *args)
    assert result.exit_code == 1
    assert "No account with the address nobody@example.org." in result.output


def test_an_account_made_on_the_shell_signs_in_like_any_other(app, users):
    users("create", "--email", "shell@example.org", "--name", "Shell Made", "--password", PASSWORD)
    response = Client(app).login("shell@example.org", "wrong password, long enough")
    assert response.status_code == 422
    assert can_sign_in(app, "shell@example.org")


def test_the_demo_loads_once_with_every_state_and_only_todays_news_in_the_bells(app, clean_db):
    import sqlalchemy as sa

    from workflow.extensions import db
    from workflow.notifications.models import Notification
    from workflow.submissions.models import Submission

    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "load", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "Loaded 30 demo submissions." in result.output
    assert "already loaded" in runner.invoke(args=["demo", "load", "--quiet"]).output
    with app.app_context():
        states = set(db.session.scalars(sa.select(Submission.state).distinct()))
        news = db.session.execute(sa.select(Notification.event, Notification.email)).all()
    assert {s.value for s in states} == {"pitched", "assigned", "edited", "published", "declined", "withdrawn"}
    # History is not emailed; the two messages written as the demo starts are, and ring the bells.
    assert [event for event, _ in news] == ["submission.message", "submission.message"]
    assert {email for _, email in news} & {"editor@example.org", "editor2@example.org"}
    assert "reporter@example.org" in {email for _, email in news}
    reporter = Client(app)
    assert reporter.login("reporter@example.org", "demo-password-2026").status_code == 303
    assert "Notifications 1 unread" in text_of(reporter.get("/notifications"))


def test_the_demo_contributors_have_discreet_emails_and_the_editors_do_not(app, clean_db):
    import re

    import sqlalchemy as sa

    from workflow.extensions import db
    from workflow.people.models import User

    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "load", "--quiet"]).exit_code == 0
    reporter = Client(app)
    assert reporter.login("reporter@example.org", "demo-password-2026").status_code == 303
    page = reporter.get("/account/notifications").get_data(as_text=True)
    box = re.search(r'<input[^>]*name="discreet_emails"[^>]*>', page)
    assert box and "checked" in box.group(0)
    with app.app_context():
        chosen = dict(db.session.execute(sa.select(User.email, User.discreet_emails)).all())
        db.session.remove()
    assert chosen["reporter@example.org"] and chosen["reporter2@example.org"] and chosen["reporter3@example.org"]
    assert not chosen["editor@example.org"] and not chosen["admin@example.org"]


def test_the_demo_has_a_contributor_who_reads_the_desk_in_arabic(app, clean_db):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["demo", "load", "--quiet"]).exit_code == 0
    huda = Client(app)
    assert huda.login("reporter4@example.org", "demo-password-2026").status_code == 303
    dashboard = huda.get("/dashboard", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in dashboard
    devices = huda.get("/account/devices").get_data(as_text=True)
    assert "توقيت لبنان" in devices  # her sign-in time, in Beirut's time
