"""Celery tasks for stories: publication by the clock, and the photos' copies. Thin: they call the services."""

from __future__ import annotations

import logging

from workflow.articles import editorial, images
from workflow.extensions import celery, db

log = logging.getLogger(__name__)


@celery.task(name="articles.publish_scheduled", acks_late=True)
def publish_scheduled() -> int:
    """Every minute (Celery beat): publish the stories whose scheduled time has come (each once)."""
    return len(editorial.publish_due())


@celery.task(name="articles.prepare_image", acks_late=True)
def prepare_image(image_id: int) -> str:
    """Make a photo's copies. Idempotent: a photo another worker holds, or one already prepared, is left alone;
    run again after a crash, it writes the same copies."""
    if not images.take(image_id):
        db.session.rollback()
        images.tidy(image_id)
        return "not taken"
    db.session.commit()  # the claim, so that no other worker starts on it
    outcome = images.prepare(image_id)
    db.session.commit()
    return outcome


@celery.task(name="articles.sweep_images", acks_late=True)
def sweep_images() -> int:
    """Every minute (Celery beat): hand the workers the photos whose task was lost (the broker was down when
    they were uploaded, a worker died on them)."""
    ids = images.waiting()
    db.session.commit()
    handed = 0
    for image_id in ids:
        if not images.hand_to_worker(image_id):
            break  # the broker is down: the next sweep tries again
        handed += 1
    if ids:
        log.info("the sweep handed %s photo(s) to the workers (%s left for the next sweep)", handed,
                 len(ids) - handed)
    return handed
