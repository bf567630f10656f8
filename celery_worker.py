"""Entry point for Celery: ``celery -A celery_worker worker``. It only builds the app."""

from workflow import create_app

app = create_app()
celery = app.extensions["celery"]
