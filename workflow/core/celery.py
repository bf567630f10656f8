"""Celery bound to the Flask app: each task runs inside an application context.

Also the worker's and beat's dealings with a broker that goes away: the worker reconnects every second (not
after Celery's growing pause), and both log one line when the broker goes and one when it is back
(:mod:`workflow.core.outage`), not one per try.
"""

import logging
import os

from celery import Celery, Task
from celery.beat import PersistentScheduler
from celery.worker.consumer import Consumer as CeleryConsumer
from flask import Flask

from workflow.core import logs, outage
from workflow.extensions import celery as celery_app

log = logging.getLogger(__name__)

# A worker that lost the broker tries again this often: mail resumes at most this long after the broker is back.
RECONNECT_SECONDS = 1.0


class FlaskTask(Task):
    """Runs the task body inside the Flask app's context; the session is removed afterwards."""

    def __call__(self, *args, **kwargs):
        with self.app.flask_app.app_context():
            return self.run(*args, **kwargs)


class Consumer(CeleryConsumer):
    """Celery's consumer (``worker_consumer``), reconnecting to a lost broker every :data:`RECONNECT_SECONDS`.

    Celery waits 2 s more before each try, up to 30 s, and has no setting for it; kombu's
    ``ensure_connection`` takes the intervals, so they are given to it here. Each failed try is logged once
    per outage rather than once per try."""

    def ensure_connected(self, conn):
        ensure = conn.ensure_connection

        def every_second(errback=None, max_retries=None, **kwargs):
            def note(exc, interval):
                outage.broker.failed(exc, f"the worker tries again every {RECONNECT_SECONDS:g} s")

            kwargs.setdefault("interval_start", 0)
            kwargs.setdefault("interval_step", RECONNECT_SECONDS)
            kwargs.setdefault("interval_max", RECONNECT_SECONDS)
            connection = ensure(note, max_retries, **kwargs)
            outage.broker.succeeded()
            return connection

        conn.ensure_connection = every_second
        return super().ensure_connected(conn)


class Scheduler(PersistentScheduler):
    """Celery beat's scheduler (``beat_scheduler``). A task it cannot send is sent again when next due (the
    sweeper's next run hands over what the outbox holds); Celery logged each with a traceback, this logs the
    outage once and the recovery once. Beat's own connection is retried every :data:`RECONNECT_SECONDS`."""

    def _ensure_connected(self):
        # Beat connects when it first sends (and again after a restart of its service); Celery's own version
        # waits 2 s more before each try, up to 30 s, and logs every try.
        connection = self.connection.ensure_connection(
            lambda exc, interval: outage.broker.failed(exc, f"beat tries again every {RECONNECT_SECONDS:g} s"),
            self.app.conf.broker_connection_max_retries,
            interval_start=0, interval_step=RECONNECT_SECONDS, interval_max=RECONNECT_SECONDS)
        outage.broker.succeeded()
        return connection

    def apply_entry(self, entry, producer=None):
        log.debug("beat sends %s (%s)", entry.name, entry.task)
        try:
            self.apply_async(entry, producer=producer, advance=False)
        except Exception as exc:
            outage.broker.failed(exc.__cause__ or exc, f"beat could not send {entry.name} (it is sent when next due)")
        else:
            outage.broker.succeeded()


def init_app(app: Flask) -> Celery:
    celery_app.conf.update(app.config["CELERY"])
    if app.config["CELERY"]["broker_url"].startswith("filesystem://"):
        options = app.config["CELERY"]["broker_transport_options"]
        for key in ("data_folder_in", "data_folder_out", "control_folder", "processed_folder"):
            os.makedirs(options[key], exist_ok=True)
    celery_app.flask_app = app
    celery_app.set_default()
    logs.connect_celery()
    app.extensions["celery"] = celery_app
    return celery_app
