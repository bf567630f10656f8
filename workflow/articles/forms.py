from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, HiddenField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, Optional

from workflow.core.i18n import LANGUAGES

# The languages a story can be written in, and the choice to let the desk tell from its letters.
LANGUAGE_CHOICES = [SelectChoice("", _l("Tell from the text")), SelectChoice("en", _l("English")),
                    SelectChoice("ar", _l("Arabic"))]
assert {choice.value for choice in LANGUAGE_CHOICES if choice.value} == set(LANGUAGES), "a language is missing"


def _optional_id(value):
    return int(value) if value not in (None, "", "None") else None


class PageForm(FlaskForm):
    """How the story's page looks: section, tags, top image, the description search engines show, the language
    the story is written in and its translation."""

    version = HiddenField(validators=[DataRequired()])
    section_id = SelectField(_l("Section"), coerce=_optional_id, validate_choice=False)
    tags = StringField(_l("Tags"), validators=[Optional(), Length(max=1000, message=_l("At most 1,000 characters."))],
                       description=_l("Places, people, themes, separated by commas: “Kharkiv, drones, energy”."))
    top_image_id = SelectField(_l("Top image"), coerce=_optional_id, validate_choice=False,
                               description=_l("Upload images in the Images panel; its caption and credit go with "
                                              "it."))
    seo_description = TextAreaField(_l("Description for search engines and social media"), validators=[
        Optional(), Length(max=300, message=_l("At most 300 characters."))],
        description=_l("About 160 characters. If empty, the dek is used."))
    language = SelectField(_l("Language of the story"), choices=LANGUAGE_CHOICES, default="",
                           validate_choice=False, validators=[AnyOf(
                               [choice.value for choice in LANGUAGE_CHOICES],
                               message=_l("Choose the language the story is written in: English or Arabic (or let "
                                          "the desk tell from the text)."))],
                           description=_l("It sets the direction of the story's page (right to left for Arabic) "
                                          "and the language feeds give it. Left to the text, the desk tells from "
                                          "its letters."))
    translation = StringField(_l("Translation (optional)"), validators=[
        Optional(), Length(max=300, message=_l("At most 300 characters."))],
        description=_l("The address of the published story in the other language. Each page then links to the "
                       "other."))

    def start_from(self, language) -> str:
        """On the panel's first showing, the language fields start from what is stored (``language``: the
        story's :class:`~workflow.articles.editorial.StoryLanguageView`); a posted form keeps what was posted.
        Returns "" so that a template can call it in place."""
        if self.language.raw_data is None and self.translation.raw_data is None:
            self.language.data = language.chosen or ""
            self.translation.data = language.translation.slug if language.translation is not None else ""
        return ""


class ScheduleForm(FlaskForm):
    version = HiddenField(validators=[DataRequired()])
    publish_at = DateTimeLocalField(_l("Publish at (UTC)"), format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
                                    validators=[InputRequired(_l("Choose the date and time to publish (UTC)."))],
                                    invalid_value_message=_l("Enter a date and a time, like 2026-12-01 09:00."))


class UnscheduleForm(FlaskForm):
    version = HiddenField(validators=[DataRequired()])
