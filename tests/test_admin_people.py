"""Administration over HTTP: who reaches /admin, invitations, roles, and disabling accounts.

Invitation links are read from the outbox (composed as the worker sends them), except in the one test that
waits for the real worker to deliver the invitation.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from tests.helpers import (
    GENERIC_SIGN_IN_ERROR,
    PASSWORD,
    Client,
    can_sign_in,
    error_summary,
    field_error,
    flashes,
    input_value,
    latest_link,
    link_in,
    links_signed_ago,
    outbox,
    plain_body,
    signed_in,
    still_signed_in,
    tampered,
    text_of,
)

INVITEE = "new.editor@example.org"
JOINING = {"display_name": "Noor Editor", "byline_name": "Noor E.", "password": PASSWORD, "confirm": PASSWORD}


@pytest.fixture
def admin(app, factory):
    person = factory.user("admin", email="the.admin@example.org", name="Ada Admin")
    person.client = signed_in(app, person)
    return person


def invite(admin, email: str = INVITEE, role: str = "editor"):
    return admin.client.post("/admin/invitations", {"email": email, "role": role}, page="/admin/people")


def open_invitations(admin) -> dict[str, int]:
    """The open invitations listed on the people page: address -> invitation id."""
    html = admin.client.get("/admin/people").get_data(as_text=True)
    section = html[html.index('id="open-invitations-title"'):]
    return {email: int(number) for email, number in
            re.findall(r"<li>(\S+) as .*?/admin/invitations/(\d+)/revoke", section, re.S)}


def invitation_link(app, email: str = INVITEE) -> str:
    return latest_link(app, email, "You are invited")


def people_listed(admin, show: str = "all") -> dict[str, str]:
    """The people table: email -> "Role Status"."""
    html = admin.client.get(f"/admin/people?show={show}").get_data(as_text=True)
    rows = re.findall(r"<tr>\s*<td>.*?</tr>", html, re.S)
    listed = {}
    for row in rows:
        cells = [re.sub(r"<[^>]+>", " ", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]
        listed[cells[1]] = f"{cells[2]} {cells[3]}"
    return listed


# Who reaches the admin pages ------------------------------------------------------------------------------

ADMIN_PAGES = ["/admin/people", "/admin/people?show=disabled", "/admin/people/{target}"]


@pytest.mark.parametrize("page", ADMIN_PAGES)
@pytest.mark.parametrize("role", ["contributor", "editor"])
def test_admin_pages_are_forbidden_to_contributors_and_editors(app, factory, admin, role, page):
    target = factory.user("contributor")
    person = signed_in(app, factory.user(role).email)
    response = person.get(page.format(target=target.id))
    assert response.status_code == 403
    assert "You cannot do that" in text_of(response)


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_admin_pages_send_visitors_to_sign_in(app, client, factory, admin, page):
    target = factory.user("contributor")
    response = client.get(page.format(target=target.id))
    assert response.status_code == 302
    assert urlsplit(response.location).path == "/login"


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_admins_reach_the_admin_pages(app, factory, admin, page):
    target = factory.user("contributor")
    assert admin.client.get(page.format(target=target.id)).status_code == 200


ADMIN_ACTIONS = [
    ("/admin/people/{target}/disable", {}),
    ("/admin/people/{target}/role", {"role": "admin"}),
    ("/admin/invitations", {"email": "sneaky@example.org", "role": "admin"}),
    ("/admin/invitations/{invitation}/revoke", {}),
]


@pytest.mark.parametrize(("action", "data"), ADMIN_ACTIONS)
@pytest.mark.parametrize("role", ["contributor", "editor", None])
def test_admin_actions_are_refused_to_everyone_else_and_change_nothing(app, factory, admin, role, action, data):
    target = factory.user("editor", email="target@example.org")
    invite(admin, "invited@example.org")
    invitation = open_invitations(admin)["invited@example.org"]
    if role is None:
        person = Client(app)
    else:
        person = signed_in(app, factory.user(role).email)

    response = person.post(action.format(target=target.id, invitation=invitation), data)
    if role is None:
        assert response.status_code == 302 and urlsplit(response.location).path == "/login"
    else:
        assert response.status_code == 403

    assert people_listed(admin)["target@example.org"] == "Editor Active"
    assert can_sign_in(app, target.email)
    assert open_invitations(admin) == {"invited@example.org": invitation}
    assert outbox(app, "sneaky@example.org") == []


def test_an_editor_cannot_make_themselves_admin(app, factory, admin):
    editor = factory.user("editor")
    desk = signed_in(app, editor)
    response = desk.post(f"/admin/people/{editor.id}/role", {"role": "admin"})
    assert response.status_code == 403
    assert desk.get("/admin/people").status_code == 403


# The people page ------------------------------------------------------------------------------------------

def test_the_people_page_lists_everyone_and_filters(app, factory, admin):
    factory.user("contributor", email="contributor@example.org")
    factory.user("contributor", email="unconfirmed@example.org", confirmed=False)
    factory.user("editor", email="editor@example.org")
    disabled = factory.user("editor", email="disabled@example.org")
    admin.client.post(f"/admin/people/{disabled.id}/disable", page=f"/admin/people/{disabled.id}")

    assert people_listed(admin) == {
        "the.admin@example.org": "Admin Active",
        "contributor@example.org": "Contributor Active",
        "unconfirmed@example.org": "Contributor Email not confirmed",
        "editor@example.org": "Editor Active",
        "disabled@example.org": "Editor Disabled",
    }
    assert set(people_listed(admin, "editor")) == {"editor@example.org", "disabled@example.org"}
    assert set(people_listed(admin, "contributor")) == {"contributor@example.org", "unconfirmed@example.org"}
    assert set(people_listed(admin, "admin")) == {"the.admin@example.org"}
    assert set(people_listed(admin, "disabled")) == {"disabled@example.org"}
    assert len(people_listed(admin, "nonsense")) == 5


def test_the_people_page_does_not_ask_the_database_once_per_person(app, factory, admin, count_queries):
    def queries_for_the_page() -> int:
        with count_queries() as counter:
            assert admin.client.get("/admin/people").status_code == 200
        return counter.count

    factory.user("editor")
    invite(admin, "first@example.org")
    few = queries_for_the_page()
    for n in range(6):
        factory.user("contributor")
        invite(admin, f"invitee{n}@example.org")
    assert queries_for_the_page() == few


def test_an_admin_action_from_another_site_is_refused(app, factory, admin):
    person = factory.user("editor")
    response = admin.client.post(f"/admin/people/{person.id}/disable", csrf=False)
    assert response.status_code == 400
    assert "The form had expired or came from another site" in text_of(response)
    assert can_sign_in(app, person.email)


def test_an_unknown_person_is_not_found(admin):
    assert admin.client.get("/admin/people/99999").status_code == 404
    assert admin.client.post("/admin/people/99999/disable", page="/admin/people").status_code == 404


# Invitations ----------------------------------------------------------------------------------------------

@pytest.mark.worker
def test_an_invited_editor_joins_from_the_email_and_lands_on_the_queue(app, clean_db, worker, mailbox, admin):
    response = invite(admin, "New.Editor@Example.org")
    assert response.status_code == 303
    assert f"Invitation sent to {INVITEE}." in flashes(admin.client, response)
    assert INVITEE in open_invitations(admin)

    message = mailbox.wait_for_subject(INVITEE, "You are invited to join the Frontline Deeply desk as editor")
    assert "Ada Admin invites you" in plain_body(message)
    link = link_in(message)

    newcomer = Client(app)
    page = newcomer.get(link)
    assert page.status_code == 200
    assert f"Ada Admin invited {INVITEE} to join as editor" in text_of(page)
    response = newcomer.post(link, JOINING, page=link)
    assert response.status_code == 303 and response.location == "/queue"
    assert "Welcome to the desk." in flashes(newcomer, response)
    assert newcomer.get("/queue").status_code == 200
    assert newcomer.get("/admin/people").status_code == 403

    assert people_listed(admin)[INVITEE] == "Editor Active"
    assert open_invitations(admin) == {}
    assert can_sign_in(app, INVITEE)

    # The link did its work once; it does not make a second account or change the first.
    again = Client(app)
    assert again.get(link).status_code == 400
    response = again.post(link, {**JOINING, "password": "another long passphrase",
                                 "confirm": "another long passphrase"}, page="/login")
    assert response.status_code == 400
    assert "already been used" in text_of(response)
    assert can_sign_in(app, INVITEE, PASSWORD)


@pytest.mark.parametrize(("role", "lands_on", "may_administer"), [
    ("editor", "/queue", False),
    ("admin", "/queue", True),
    ("contributor", "/dashboard", False),
])
def test_an_invitation_gives_the_role_it_names(app, client, admin, role, lands_on, may_administer):
    invite(admin, role=role)
    link = invitation_link(app)
    response = client.post(link, JOINING, page=link)
    assert response.status_code == 303 and response.location == lands_on
    assert (client.get("/admin/people").status_code == 200) is may_administer
    assert people_listed(admin)[INVITEE] == f"{role.title()} Active"


@pytest.mark.parametrize(("email", "message"), [
    ("", "Enter your email address."),
    ("not an address", "Enter an email address like name@example.org."),
    ("The.Admin@example.org", "Someone already has an account with this address; change their role instead."),
])
def test_a_refused_invitation_says_why_next_to_the_address(app, admin, email, message):
    response = invite(admin, email)
    assert response.status_code == 422
    assert field_error(response, "email") == message
    assert input_value(response, "email") == email.strip()
    assert open_invitations(admin) == {}


def test_the_joining_form_checks_names_and_password(app, client, admin):
    invite(admin)
    link = invitation_link(app)
    response = client.post(link, {**JOINING, "display_name": "", "password": "short", "confirm": "short"},
                           page=link)
    assert response.status_code == 422
    assert field_error(response, "display_name") == "Enter your name."
    assert "Use at least 12 characters" in field_error(response, "password")
    assert input_value(response, "byline_name") == JOINING["byline_name"]
    assert INVITEE in open_invitations(admin)
    assert not can_sign_in(app, INVITEE)


def test_a_withdrawn_invitation_no_longer_works(app, client, admin):
    invite(admin)
    link = invitation_link(app)
    invitation = open_invitations(admin)[INVITEE]

    response = admin.client.post(f"/admin/invitations/{invitation}/revoke", page="/admin/people")
    assert response.status_code == 303
    assert f"The invitation to {INVITEE} is withdrawn." in flashes(admin.client, response)
    assert open_invitations(admin) == {}

    for response in (client.get(link), client.post(link, JOINING, page="/login")):
        assert response.status_code == 400
        assert "withdrawn" in text_of(response)
        assert "Ask the person who invited you" in text_of(response)
    assert not can_sign_in(app, INVITEE)

    response = admin.client.post(f"/admin/invitations/{invitation}/revoke", page="/admin/people")
    assert "This invitation is no longer open." in flashes(admin.client, response)


def test_an_invitation_expires_after_seven_days(app, client, admin):
    invite(admin)
    with links_signed_ago(8 * 24 * 3600):
        link = invitation_link(app)
    response = client.get(link)
    assert response.status_code == 400
    assert "This link has expired" in text_of(response)
    assert "Ask the person who invited you" in text_of(response)


def test_a_tampered_invitation_link_is_refused(app, client, admin):
    invite(admin)
    link = invitation_link(app)
    response = client.get(tampered(link))
    assert response.status_code == 400
    assert "This link is not valid" in text_of(response)


def test_inviting_again_and_accepting_closes_every_invitation_for_the_address(app, client, admin):
    invite(admin)
    first_link = invitation_link(app)
    invite(admin)
    assert len(outbox(app, INVITEE, "You are invited")) == 2
    second_link = invitation_link(app)

    assert client.post(second_link, JOINING, page=second_link).status_code == 303
    assert open_invitations(admin) == {}
    response = Client(app).get(first_link)
    assert response.status_code == 400


def test_an_invitation_for_an_address_that_registered_meanwhile_is_refused_politely(app, client, factory, admin):
    invite(admin)
    link = invitation_link(app)
    factory.user("contributor", email=INVITEE)

    response = client.post(link, JOINING, page=link)
    assert response.status_code == 422
    assert "An account with this email address already exists." in error_summary(response)
    assert people_listed(admin)[INVITEE] == "Contributor Active"


# Roles ----------------------------------------------------------------------------------------------------

def test_changing_a_role_takes_effect_on_the_persons_next_request(app, factory, admin):
    person = factory.user("contributor", name="Cora Contributor")
    their_browser = signed_in(app, person)
    assert their_browser.get("/queue").status_code == 403

    response = admin.client.post(f"/admin/people/{person.id}/role", {"role": "editor"},
                                 page=f"/admin/people/{person.id}")
    assert response.status_code == 303
    page = flashes(admin.client, response)
    assert "Cora Contributor is now editor." in page
    assert "Role Editor" in page

    assert their_browser.get("/queue").status_code == 200
    notice = outbox(app, person.email, "Your role on the desk is now editor")
    assert len(notice) == 1 and "Dear Cora Contributor" in plain_body(notice[0])


def test_setting_the_same_role_again_sends_nothing(app, factory, admin):
    person = factory.user("editor")
    admin.client.post(f"/admin/people/{person.id}/role", {"role": "editor"}, page=f"/admin/people/{person.id}")
    assert outbox(app, person.email) == []


@pytest.mark.parametrize("role", ["editor", "contributor"])
def test_an_admin_cannot_demote_themselves(app, admin, role):
    response = admin.client.post(f"/admin/people/{admin.id}/role", {"role": role},
                                 page=f"/admin/people/{admin.id}")
    assert response.status_code == 422
    assert field_error(response, "role") == "You cannot remove your own admin role; ask another admin."
    assert admin.client.get("/admin/people").status_code == 200
    assert people_listed(admin)[admin.email] == "Admin Active"


def test_one_admin_can_demote_another(app, factory, admin):
    other = factory.user("admin")
    other_browser = signed_in(app, other)
    response = admin.client.post(f"/admin/people/{other.id}/role", {"role": "editor"},
                                 page=f"/admin/people/{other.id}")
    assert response.status_code == 303
    assert other_browser.get("/admin/people").status_code == 403
    assert other_browser.get("/queue").status_code == 200


def test_an_unknown_role_is_refused(app, factory, admin):
    person = factory.user("contributor")
    response = admin.client.post(f"/admin/people/{person.id}/role", {"role": "owner"},
                                 page=f"/admin/people/{person.id}")
    assert response.status_code == 422
    assert field_error(response, "role") == "Not a valid choice."
    assert people_listed(admin)[person.email] == "Contributor Active"


# Disabling and enabling -----------------------------------------------------------------------------------

def test_disabling_ends_the_persons_sessions_at_their_next_request(app, factory, admin):
    person = factory.user("editor", name="Dan Desk")
    their_browser = signed_in(app, person)
    their_phone = Client(app)
    their_phone.login(person.email, remember=True)
    remember_cookie = their_phone.http.get_cookie("remember_token").value
    assert their_browser.get("/queue").status_code == 200

    response = admin.client.post(f"/admin/people/{person.id}/disable", page=f"/admin/people/{person.id}")
    assert response.status_code == 303
    page = flashes(admin.client, response)
    assert "Dan Desk's account is disabled; their sessions have ended." in page
    assert "Disabled since" in page and "Enable the account" in page

    response = their_browser.get("/queue")
    assert response.status_code == 302 and urlsplit(response.location).path == "/login"
    reopened = Client(app)
    reopened.http.set_cookie("remember_token", remember_cookie)
    assert not still_signed_in(reopened)

    response = Client(app).login(person.email)
    assert response.status_code == 422
    assert GENERIC_SIGN_IN_ERROR in error_summary(response)
    assert person.email in people_listed(admin, "disabled")


def test_enabling_lets_the_person_sign_in_again_but_does_not_revive_old_sessions(app, factory, admin):
    person = factory.user("contributor", name="Eli Back")
    old_session = signed_in(app, person)
    admin.client.post(f"/admin/people/{person.id}/disable", page=f"/admin/people/{person.id}")

    response = admin.client.post(f"/admin/people/{person.id}/enable", page=f"/admin/people/{person.id}")
    assert response.status_code == 303
    page = flashes(admin.client, response)
    assert "Eli Back's account is enabled again." in page
    assert "Disable the account" in page

    assert not still_signed_in(old_session)
    assert can_sign_in(app, person.email)
    assert people_listed(admin)[person.email] == "Contributor Active"


def test_an_admin_cannot_disable_themselves(app, admin):
    page = text_of(admin.client.get(f"/admin/people/{admin.id}"))
    assert "This is you." in page and "Disable the account" not in page

    response = admin.client.post(f"/admin/people/{admin.id}/disable", page=f"/admin/people/{admin.id}")
    assert "You cannot disable your own account." in flashes(admin.client, response)
    assert still_signed_in(admin.client)
    assert people_listed(admin)[admin.email] == "Admin Active"


def test_the_admin_log_names_who_did_what_to_whom_and_only_admins_read_it(app, factory, admin, make_client):
    from tests.helpers import text_of

    person = factory.user("contributor")
    assert invite(admin, "new.editor@example.org").status_code == 303
    admin.client.post(f"/admin/people/{person.id}/role", {"role": "editor"}, page=f"/admin/people/{person.id}")
    admin.client.post(f"/admin/people/{person.id}/disable", page=f"/admin/people/{person.id}")
    admin.client.post("/admin/sections", {"name": "Analysis", "description": "", "position": "1"},
                      page="/admin/sections")
    admin.client.post("/admin/pages/guidelines", {"title": "Write for us", "body": "Pitch us."},
                      page="/admin/pages/guidelines")

    page = admin.client.get("/admin/log")
    assert page.status_code == 200
    rows = [" ".join(row.split()) for row in re.findall(r"<tr>\s*<td>.*?</tr>", page.get_data(as_text=True), re.S)]
    done = [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in rows]
    assert len(done) == 5
    assert "Ada Admin" in done[0] and "edit page" in done[0] and "page guidelines" in done[0]  # newest first
    assert any("change role" in row and f"user {person.id}" in row and "contributor to editor" in row
               for row in done)
    assert any("disable" in row and f"user {person.id}" in row for row in done)
    assert any("invite" in row and "as editor" in row for row in done)
    assert "new.editor@example.org" not in text_of(page)  # numbers, not people's details
    editor = signed_in(app, factory.user("editor").email)
    assert editor.get("/admin/log").status_code == 403
