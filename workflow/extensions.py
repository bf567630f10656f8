"""Every Flask extension, unbound; ``create_app`` binds them."""

from celery import Celery
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from workflow.core.models import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
celery = Celery("workflow", task_cls="workflow.core.celery:FlaskTask")
