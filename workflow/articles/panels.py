"""The panels that articles add to the submission page, for the desk and the contributor: "Publication" (how the
story's page looks, and when it is published) and "Images" (upload, describe, delete). Not views: the submission
page shows them (``create_app`` adds :func:`for_submission_page` to it), and the routes that answer them
(``editorial_views``, ``media``) render them again with the form that was posted."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectChoice, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from workflow.articles import editorial, images
from workflow.articles import services as articles
from workflow.articles.forms import PageForm, ScheduleForm, UnscheduleForm
from workflow.articles.models import Image, ImageStatus
from workflow.core.forms import ActionForm
from workflow.submissions.models import Submission
from workflow.submissions.workflow import State


def for_submission_page(submission: Submission) -> dict:
    """Both panels, over one read of the story's photos."""
    photos = images.images_of(submission)
    return {"publication": publication_panel(submission, photos=photos),
            "images_panel": images_panel(submission, photos=photos)}


def publication_panel(submission: Submission, page_form: PageForm | None = None,
                      schedule_form: ScheduleForm | None = None, photos: list[Image] | None = None) -> dict | None:
    """The forms of the panel, for the desk, once the story is commissioned; None otherwise. ``photos``: the
    story's images, when the caller has read them already."""
    if not current_user.is_staff or submission.state not in editorial.EDITABLE_STATES:
        return None
    if page_form is None:
        page_form = PageForm(formdata=None, version=submission.version, section_id=submission.section_id,
                             top_image_id=submission.top_image_id, seo_description=submission.seo_description,
                             tags=", ".join(tag.name for tag in submission.tags))
    page_form_choices(page_form, submission, photos)
    return {
        "page_form": page_form,
        "schedule_form": schedule_form or ScheduleForm(formdata=None, version=submission.version),
        "unschedule_form": UnscheduleForm(formdata=None, version=submission.version),
        "can_schedule": submission.state is State.EDITED,
    }


def page_form_choices(form: PageForm, submission: Submission, photos: list[Image] | None = None) -> None:
    form.section_id.choices = [SelectChoice("", _("No section"))] + [
        SelectChoice(section.id, section.name) for section in articles.sections()]
    story_photos = photos if photos is not None else images.images_of(submission)
    form.top_image_id.choices = [SelectChoice("", _("No top image"))] + [
        SelectChoice(image.id, _photo_choice(image)) for image in story_photos]


def _photo_choice(image: Image) -> str:
    """How the top-image menu names a photo: its description, else its caption, its file name or its number."""
    name = image.alt or image.caption[:60] or image.filename or _("Image %(number)d", number=image.id)
    if image.status is ImageStatus.FAILED:
        return _("%(photo)s (could not be prepared)", photo=name)
    return name


class _ImageWords(FlaskForm):
    alt = StringField(_l("Description (alt text)"), validators=[
        DataRequired(_l("Describe the photo for readers who cannot see it: what does it show?")),
        Length(max=images.ALT_LENGTH, message=_l("At most %(count)d characters; the caption can say more.",
                                                 count=images.ALT_LENGTH))],
        description=_l("What the photo shows, for readers who cannot see it. Not a caption."))
    caption = TextAreaField(_l("Caption (optional)"), validators=[
        Optional(), Length(max=images.CAPTION_LENGTH, message=_l("At most %(count)s characters.",
                                                                 count=f"{images.CAPTION_LENGTH:,}"))],
        description=_l("Shown under the photo: who, where, when."))
    credit = StringField(_l("Credit (optional)"), validators=[
        Optional(), Length(max=images.CREDIT_LENGTH, message=_l("At most %(count)s characters.",
                                                                count=images.CREDIT_LENGTH))],
        description=_l("The photographer or agency, shown as “Photo: …”."))


class UploadForm(_ImageWords):
    image = FileField(_l("Photo"), render_kw={"accept": "image/jpeg,image/png,image/webp"})


class ImageForm(_ImageWords):
    """What is said about a photo already uploaded."""


def new_upload_form(submitted: bool = False) -> UploadForm:
    form = UploadForm(prefix="upload") if submitted else UploadForm(formdata=None, prefix="upload")
    form.image.description = images.limits()
    return form


def image_form(image: Image, submitted: bool = False) -> ImageForm:
    """Each photo's form has a prefix of its own, so that the fields' ids never repeat on the page."""
    if submitted:
        return ImageForm(prefix=f"image{image.id}")
    return ImageForm(formdata=None, prefix=f"image{image.id}", alt=image.alt, caption=image.caption,
                     credit=image.credit)


def images_panel(submission: Submission, upload_form: UploadForm | None = None,
                 edited: tuple[Image, ImageForm] | None = None, photos: list[Image] | None = None) -> dict:
    """What the Images panel of the submission page shows to the person looking at it. ``photos``: the story's
    images, when the caller has read them already."""
    can_manage = images.can_manage_images(current_user, submission)
    items = photos if photos is not None else images.images_of(submission)
    forms = {}
    if can_manage:
        forms = {image.id: (edited[1] if edited and edited[0].id == image.id else image_form(image))
                 for image in items}
    return {
        "photos": items,
        "can_manage": can_manage,
        "upload_form": upload_form or (new_upload_form() if can_manage else None),
        "forms": forms,
        "delete_form": ActionForm(formdata=None),
        "published": submission.state is State.PUBLISHED,
        "top_image_id": submission.top_image_id,
        "url": images.url,
        "srcset": images.srcset,
        "thumbnail_width": images.thumbnail_width,
        "snippet": images.snippet,
    }
