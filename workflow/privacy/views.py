"""What a person can do with their own data: take it all away."""

from __future__ import annotations

import logging

from flask import Blueprint, make_response
from flask_login import current_user, login_required

from workflow.auth.proof import fresh_proof_required
from workflow.core.models import utcnow
from workflow.privacy.export import export_zip

bp = Blueprint("privacy", __name__)
log = logging.getLogger(__name__)


@bp.get("/account/export")
@login_required
@fresh_proof_required
def export():
    """A zip of everything the desk keeps about the signed-in person."""
    response = make_response(export_zip(current_user))
    response.mimetype = "application/zip"
    name = f"my-data-{utcnow().date().isoformat()}.zip"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "private, no-store"
    log.info("user %s downloaded their data", current_user.id)
    return response
