"""Entry point for Celery: ``celery -A celery_worker worker``. It only builds the app."""

from workflow import create_app

flask_app = create_app()
celery = flask_app.extensions["celery"]
