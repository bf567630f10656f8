from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional


def _optional_id(value):
    return int(value) if value not in (None, "", "None") else None


class PageForm(FlaskForm):
    """How the story's page looks: section, tags, top image and the description search engines show."""

    version = HiddenField(validators=[DataRequired()])
    section_id = SelectField("Section", coerce=_optional_id, validate_choice=False)
    tags = StringField("Tags", validators=[Optional(), Length(max=1000, message="At most 1,000 characters.")],
                       description="Places, people, themes, separated by commas: “Kharkiv, drones, energy”.")
    top_image_id = SelectField("Top image", coerce=_optional_id, validate_choice=False,
                               description="Upload images in the Images panel; its caption and credit go with it.")
    seo_description = TextAreaField("Description for search engines and social media", validators=[
        Optional(), Length(max=300, message="At most 300 characters.")],
        description="About 160 characters. If empty, the dek is used.")


class ScheduleForm(FlaskForm):
    version = HiddenField(validators=[DataRequired()])
    publish_at = DateTimeLocalField("Publish at (UTC)", format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
                                    validators=[InputRequired("Choose the date and time to publish (UTC).")],
                                    invalid_value_message="Enter a date and a time, like 2026-12-01 09:00.")


class UnscheduleForm(FlaskForm):
    version = HiddenField(validators=[DataRequired()])
