"""Fresh proof for what matters: changing one's email, password or second step, taking or deleting one's data,
and an admin's changes to people ask for the password again, and the second factor where one is set, when the
session's last proof is older than ``WORKFLOW_FRESH_PROOF_MINUTES`` (10).

A form posted with a stale proof is answered in place: the same page asks for the proof and carries what the
person typed in hidden fields, so that confirming does what they asked, and nothing typed is lost. A page (the
data export) sends to ``/account/confirm`` and back.
"""

from __future__ import annotations

from functools import wraps

from flask import redirect, render_template, request, url_for
from flask_login import current_user

from workflow.auth import second_factor
from workflow.auth.forms import ProofForm
from workflow.auth.signin import renew_cookies
from workflow.core.errors import DomainError
from workflow.core.views import attach_error
from workflow.extensions import limiter

PREFIX = "proof"
# Wrong passwords or codes given as proof, per person: the eleventh in a minute waits.
WRONG_PROOFS = "10 per minute"
ASKED = 401  # the answer that asks for the proof (nothing is changed)


def _person() -> str:
    return f"proof:{current_user.id}"


def ask(form: ProofForm, action: str, replay: list[tuple[str, str]]):
    response = render_template("auth/confirm_identity.html", form=form, action=action, replay=replay,
                               has_factor=second_factor.has_factor(current_user))
    return response, ASKED, {"Cache-Control": "no-store"}


def proved(form: ProofForm) -> bool:
    """Whether the posted proof holds; if it does, the session is renewed (a new key in the cookies), and if not,
    the reason is on the form."""
    try:
        second_factor.prove(current_user, form.password.data, form.code.data)
    except DomainError as error:
        attach_error(form, error)
        return False
    renew_cookies(current_user._get_current_object())
    return True


def limit_wrong_proofs(view):
    """Wrong passwords or codes given as proof count against the person, wherever they are given."""
    return limiter.limit(WRONG_PROOFS, key_func=_person, methods=["POST"],
                         deduct_when=lambda response: response.status_code == ASKED)(view)


def fresh_proof_required(view):
    """For a view that needs ``login_required`` first: ask for the proof when the session's is stale."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        if second_factor.proof_is_fresh(current_user):
            return view(*args, **kwargs)
        if request.method not in ("POST", "PUT", "DELETE", "PATCH"):
            return redirect(url_for("auth.confirm_identity", next=request.full_path.rstrip("?")))
        replay = [(name, value) for name, value in request.form.items(multi=True)
                  if not name.startswith(f"{PREFIX}-")]
        if f"{PREFIX}-password" not in request.form:
            return ask(ProofForm(prefix=PREFIX, formdata=None), request.path, replay)
        form = ProofForm(prefix=PREFIX)
        if form.validate_on_submit() and proved(form):
            return view(*args, **kwargs)
        return ask(form, request.path, replay)

    return limit_wrong_proofs(wrapped)
