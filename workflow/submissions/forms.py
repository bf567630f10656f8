from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    HiddenField,
    IntegerField,
    MultipleFileField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from workflow.core.numbers import finite, record_id
from workflow.core.storage import ACCEPT_ATTRIBUTE, ACCEPTED_SHORT


class PitchForm(FlaskForm):
    headline = StringField("Working headline", validators=[
        DataRequired("Give your story a working headline."), Length(max=200, message="At most 200 characters.")])
    summary = TextAreaField("Summary", validators=[
        DataRequired("Summarise the story in a few sentences."),
        Length(max=2000, message="At most 2,000 characters.")],
        description="Two or three sentences: what happened, to whom, and what the reader will learn.")
    angle = TextAreaField("Why this, why now", validators=[
        DataRequired("Tell us why this story matters now."), Length(max=4000, message="At most 4,000 characters.")],
        description="Private: stored encrypted, read only by the desk.")
    sources = TextAreaField("Sources and access", validators=[
        DataRequired("Tell us who you will talk to and what access you have."),
        Length(max=4000, message="At most 4,000 characters.")],
        description="Who you will interview, what you have seen or can reach. Private: stored encrypted, read only "
                    "by the desk.")
    proposed_words = IntegerField("Proposed length (words)", validators=[
        Optional(), NumberRange(min=100, max=20000, message="Between 100 and 20,000 words.")])
    proposed_deadline = DateField("When could you file?", validators=[Optional()])
    experience = TextAreaField("Your relevant experience", validators=[
        Optional(), Length(max=4000, message="At most 4,000 characters.")],
        description="Earlier work, languages, time in the region. Links are welcome. Private: stored encrypted.")
    attachments = MultipleFileField("Attachments (optional)",
                                    description=f"{ACCEPTED_SHORT}, up to 10 MB each.",
                                    render_kw={"accept": ACCEPT_ATTRIBUTE})


class TransitionForm(FlaskForm):
    action = HiddenField(validators=[DataRequired()])
    version = HiddenField(validators=[DataRequired()])
    comment = TextAreaField("Comment", validators=[Optional(), Length(max=5000, message="At most 5,000 characters.")])
    editor_id = SelectField("Editor", coerce=record_id, validators=[Optional()], validate_choice=False)
    deadline = DateField("Deadline for the draft", validators=[Optional()])
    assigned_words = IntegerField("Commissioned length (words)", validators=[
        Optional(), NumberRange(min=100, max=20000, message="Between 100 and 20,000 words.")])
    fee = DecimalField("Fee", places=2, validators=[
        Optional(), finite, NumberRange(min=0, max=100000, message="Between 0 and 100,000.")])


class DraftForm(FlaskForm):
    version = HiddenField()
    headline = StringField("Headline", validators=[
        DataRequired("The draft needs a headline."), Length(max=200, message="At most 200 characters.")])
    dek = TextAreaField("Dek", validators=[
        DataRequired("Write the dek: one or two sentences under the headline."),
        Length(max=1000, message="At most 1,000 characters.")])
    body = TextAreaField("Body (Markdown)", validators=[
        InputRequired("The draft is empty."), Length(max=200000, message="At most 200,000 characters.")])
    note = StringField("Note about this revision (optional)", validators=[
        Optional(), Length(max=300, message="At most 300 characters.")])


class MessageForm(FlaskForm):
    body = TextAreaField("Message", validators=[
        DataRequired("Write a message first."), Length(max=10000, message="At most 10,000 characters.")])
    internal = BooleanField("Internal note: only the desk sees it")


class SavedViewForm(FlaskForm):
    name = StringField("Name this view", validators=[
        DataRequired("Give the view a name."), Length(max=80, message="At most 80 characters.")])
    query = HiddenField()
