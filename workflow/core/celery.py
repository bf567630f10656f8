"""Celery bound to the Flask app: each task runs inside an application context."""

import os

from celery import Celery, Task
from flask import Flask

from workflow.extensions import celery as celery_app


class FlaskTask(Task):
    """Runs the task body inside the Flask app's context; the session is removed afterwards."""

    def __call__(self, *args, **kwargs):
        with self.app.flask_app.app_context():
            return self.run(*args, **kwargs)


def init_app(app: Flask) -> Celery:
    celery_app.conf.update(app.config["CELERY"])
    if app.config["CELERY"]["broker_url"].startswith("filesystem://"):
        options = app.config["CELERY"]["broker_transport_options"]
        for key in ("data_folder_in", "data_folder_out", "control_folder", "processed_folder"):
            os.makedirs(options[key], exist_ok=True)
    celery_app.flask_app = app
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app
