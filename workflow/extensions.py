"""Every Flask extension, unbound; ``create_app`` binds them."""

from celery import Celery
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from workflow.core.models import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
# Limits on what attackers repeat (sign-in, registration, resets, pitches, signups), counted in Redis so that
# they hold across web processes; in memory only in the quick start (one process).
limiter = Limiter(key_func=get_remote_address)
celery = Celery("workflow", task_cls="workflow.core.celery:FlaskTask")
