from flask_babel import lazy_gettext as _l
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
    headline = StringField(_l("Working headline"), validators=[
        DataRequired(_l("Give your story a working headline.")),
        Length(max=200, message=_l("At most 200 characters."))])
    summary = TextAreaField(_l("Summary"), validators=[
        DataRequired(_l("Summarise the story in a few sentences.")),
        Length(max=2000, message=_l("At most 2,000 characters."))],
        description=_l("Two or three sentences: what happened, to whom, and what the reader will learn."))
    angle = TextAreaField(_l("Why this, why now"), validators=[
        DataRequired(_l("Tell us why this story matters now.")),
        Length(max=4000, message=_l("At most 4,000 characters."))],
        description=_l("Private: stored encrypted, read only by the desk."))
    sources = TextAreaField(_l("Sources and access"), validators=[
        DataRequired(_l("Tell us who you will talk to and what access you have.")),
        Length(max=4000, message=_l("At most 4,000 characters."))],
        description=_l("Who you will interview, what you have seen or can reach. Private: stored encrypted, "
                       "read only by the desk."))
    proposed_words = IntegerField(_l("Proposed length (words)"), validators=[
        Optional(), NumberRange(min=100, max=20000, message=_l("Between 100 and 20,000 words."))])
    proposed_deadline = DateField(_l("When could you file?"), validators=[Optional()])
    experience = TextAreaField(_l("Your relevant experience"), validators=[
        Optional(), Length(max=4000, message=_l("At most 4,000 characters."))],
        description=_l("Earlier work, languages, time in the region. Links are welcome. Private: stored encrypted."))
    attachments = MultipleFileField(_l("Attachments (optional)"),
                                    description=_l("%(types)s, up to %(size)s each.", types=ACCEPTED_SHORT,
                                                    size="10 MB"),
                                    render_kw={"accept": ACCEPT_ATTRIBUTE})


class TransitionForm(FlaskForm):
    action = HiddenField(validators=[DataRequired()])
    version = HiddenField(validators=[DataRequired()])
    comment = TextAreaField(_l("Comment"), validators=[
        Optional(), Length(max=5000, message=_l("At most 5,000 characters."))])
    editor_id = SelectField(_l("Editor"), coerce=record_id, validators=[Optional()], validate_choice=False)
    deadline = DateField(_l("Deadline for the draft"), validators=[Optional()])
    assigned_words = IntegerField(_l("Commissioned length (words)"), validators=[
        Optional(), NumberRange(min=100, max=20000, message=_l("Between 100 and 20,000 words."))])
    fee = DecimalField(_l("Fee"), places=2, validators=[
        Optional(), finite, NumberRange(min=0, max=100000, message=_l("Between 0 and 100,000."))])


class DraftForm(FlaskForm):
    version = HiddenField()
    headline = StringField(_l("Headline"), validators=[
        DataRequired(_l("The draft needs a headline.")), Length(max=200, message=_l("At most 200 characters."))])
    dek = TextAreaField(_l("Dek"), validators=[
        DataRequired(_l("Write the dek: one or two sentences under the headline.")),
        Length(max=1000, message=_l("At most 1,000 characters."))])
    body = TextAreaField(_l("Body (Markdown)"), validators=[
        InputRequired(_l("The draft is empty.")), Length(max=200000, message=_l("At most 200,000 characters."))])
    note = StringField(_l("Note about this revision (optional)"), validators=[
        Optional(), Length(max=300, message=_l("At most 300 characters."))])


class MessageForm(FlaskForm):
    body = TextAreaField(_l("Message"), validators=[
        DataRequired(_l("Write a message first.")), Length(max=10000, message=_l("At most 10,000 characters."))])
    internal = BooleanField(_l("Internal note: only the desk sees it"))


class SavedViewForm(FlaskForm):
    name = StringField(_l("Name this view"), validators=[
        DataRequired(_l("Give the view a name.")), Length(max=80, message=_l("At most 80 characters."))])
    query = HiddenField()
