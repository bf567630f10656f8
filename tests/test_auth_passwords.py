"""The password policy, over HTTP (ASVS 5.0 6.2): a password is read as a person means it (NFKC, no invisible
characters) before it is checked and hashed, and passwords of digits alone, repeated parts, the most common ones
(the leaked-password list zxcvbn ships) and their padded variants are refused with a reason next to the field,
on every way in: registration, a change, a reset, and the command line.
"""

from __future__ import annotations

import pytest

from tests.helpers import PASSWORD, Client, can_sign_in, field_error

ZWSP, RLO, ZWJ = "\u200b", "\u202e", "\u200d"
REGISTRATION = {"email": "lina.north@example.org", "display_name": "Lina North", "byline_name": "L. North"}

DIGITS = "A password of digits alone is among the first that attackers try."
REPEATS = "This password repeats itself, which attackers try early."
COMMON = "This password is among the most common ones"
INVISIBLE = "The password needs at least 12 characters, not counting invisible ones"


def register(client: Client, password: str):
    return client.post("/register", {**REGISTRATION, "password": password, "confirm": password}, page="/register")


@pytest.mark.parametrize(("password", "reason"), [
    ("123456789012", DIGITS),
    ("\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19\uff10\uff11\uff12", DIGITS),  # full-width digits
    ("31415926535897!", DIGITS),  # digits and a sign
    ("passwordpassword1", REPEATS),
    ("tidemaptidemap", REPEATS),
    ("harbour-light" * 2 + "!!", REPEATS),
    ("pass" + ZWSP + "word" + ZWSP * 6, INVISIBLE),  # "password" padded past 12 with zero-width spaces
    (RLO * 6 + "letmein", INVISIBLE),  # bidi overrides
    ("football" + ZWJ + "2024", COMMON),  # a common one with an invisible joiner in it
    ("\uff50\uff41\uff53\uff53\uff57\uff4f\uff52\uff44\uff12\uff10\uff12\uff14", COMMON),  # full-width "password2024"
])
def test_weak_passwords_are_refused_at_registration_with_the_reason(app, client, password, reason):
    response = register(client, password)
    assert response.status_code == 422
    assert reason in field_error(response, "password")
    assert f'value="{REGISTRATION["email"]}"' in response.get_data(as_text=True)  # what was typed stays
    assert not can_sign_in(app, REGISTRATION["email"], password)


@pytest.mark.parametrize("password", ["tide-map-owl", "correct horse battery staple", "Straße und Weg 7",
                                      "قلم وحبر وورقة"])
def test_strong_passwords_are_taken(app, client, password):
    assert register(client, password).status_code == 303
    assert can_sign_in(app, REGISTRATION["email"], password)


def test_a_password_is_checked_exactly_as_typed(app, factory):
    """ASVS 6.2.8: no truncation, no change of case, no normalisation of what signs in (only the strength checks
    read it normalised)."""
    from workflow.auth import services
    from workflow.extensions import db

    wide = "\uff54\uff49\uff44\uff45-map-owl" + ZWSP
    long = "a passphrase of more than sixty-four characters: " + "harbour lights at dawn " * 3
    with app.app_context():
        services.create_user("wide@example.org", wide, "Wide", confirmed=True)
        services.create_user("long@example.org", long, "Long", confirmed=True)
        db.session.commit()
    assert can_sign_in(app, "wide@example.org", wide)
    assert not can_sign_in(app, "wide@example.org", "tide-map-owl")
    assert len(long) > 64 and can_sign_in(app, "long@example.org", long)  # ASVS 6.2.9
    assert not can_sign_in(app, "long@example.org", long[:64])
    assert not can_sign_in(app, "long@example.org", long.upper())


@pytest.mark.parametrize("password", ["Frontline Deeply 2026!", "lina.north1990!", "desk-editor-stories",
                                      "L. North Lina North"])
def test_the_desk_s_words_and_the_person_s_own_are_refused(app, client, password):
    """ASVS 6.1.2 and 6.2.11: the outlet's name, the service's words, the person's address and names."""
    response = register(client, password)
    assert response.status_code == 422
    assert "made of the desk's name or your own name or address" in field_error(response, "password")


def test_the_same_checks_guard_a_change_a_reset_and_the_command_line(app, factory):
    from workflow.auth import services
    from workflow.core.errors import DomainError

    person = factory.user("contributor")
    reporter = Client(app)
    assert reporter.login(person.email).status_code == 303
    response = reporter.post("/account/password", {"pw-current_password": PASSWORD, "pw-password": "123456789012",
                                                   "pw-confirm": "123456789012"})
    assert response.status_code == 422 and DIGITS in field_error(response, "pw-password")
    with app.app_context():
        token = services.reset_token(services.find_user_by_email(person.email))
    response = Client(app).post(f"/password/reset/{token}", {"password": "passwordpassword1",
                                                             "confirm": "passwordpassword1"},
                                page=f"/password/reset/{token}")
    assert response.status_code == 422 and REPEATS in field_error(response, "password")
    with app.app_context(), pytest.raises(DomainError, match="repeats itself"):
        services.create_user("cli@example.org", "tidemaptidemap", "From the shell")
    result = app.test_cli_runner().invoke(args=["users", "create", "--email", "cli@example.org", "--name", "Shell",
                                                "--password", "pass" + ZWSP * 10 + "word"])
    assert result.exit_code != 0 and "not counting invisible ones" in result.output
    assert can_sign_in(app, person.email, PASSWORD)
