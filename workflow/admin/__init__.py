"""The admin pages: people, roles and invitations, the emails' wording, sections, deliveries and the action log.

One blueprint; its routes live in the modules imported at the bottom, by job."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

# The routes register on ``bp`` when their modules load, so they come after it.
from workflow.admin import email_templates, sections, views  # noqa: E402, F401
