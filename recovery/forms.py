import uuid

from django import forms
from django.forms.models import ModelChoiceIterator
from django.utils import timezone
from django.utils.html import conditional_escape, escape
from django.utils.safestring import mark_safe

from teams.access import teammates
from teams.forms import IdChoiceField
from teams.models import User

from . import imports
from .currencies import CURRENCY_CHOICES
from .models import EMOTION_GROUPS, MOOD_CHOICES, CheckIn, Emotion, LossReason, LostDeal, Reflection, Stage
from .selectors import LOSS_ORDERINGS

# ---------------------------------------------------------------------------
# Widgets that write Django's own input and select markup in Python. A widget's context (its
# attributes, value and options) still comes from Django; only the template step, a dozen
# template includes for a select, is replaced. tests/recovery/test_widgets.py checks the
# markup is what Django's templates render.
# ---------------------------------------------------------------------------


def _attrs_html(attrs: dict) -> str:
    """django/forms/widgets/attrs.html"""
    return "".join(
        f" {name}" if value is True else f' {name}="{escape(str(value))}"'
        for name, value in attrs.items()
        if value is not False
    )


def _input_html(widget: dict) -> str:
    """django/forms/widgets/input.html (and the templates that include it)"""
    value = "" if widget["value"] is None else f' value="{escape(str(widget["value"]))}"'
    return (
        f'<input type="{escape(widget["type"])}" name="{escape(widget["name"])}"{value}'
        f"{_attrs_html(widget['attrs'])}>"
    )


def _select_html(widget: dict) -> str:
    """django/forms/widgets/select.html, with select_option.html for each option"""
    parts = [f'<select name="{escape(widget["name"])}"{_attrs_html(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        for option in group_choices:
            parts.append(
                f'\n  <option value="{escape(str(option["value"]))}"{_attrs_html(option["attrs"])}>'
                f"{conditional_escape(option['label'])}</option>\n"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


_INPUT_TEMPLATES = {f"django/forms/widgets/{kind}.html" for kind in ("input", "text", "number", "date")}


class _RenderedInPython:
    def _render(self, template_name, context, renderer=None):
        if template_name in _INPUT_TEMPLATES:
            return mark_safe(_input_html(context["widget"]))  # noqa: S308 (every value escaped)
        if template_name == "django/forms/widgets/select.html":
            return mark_safe(_select_html(context["widget"]))  # noqa: S308 (every value escaped)
        return super()._render(template_name, context, renderer)


class Select(_RenderedInPython, forms.Select):
    pass


class DateInput(_RenderedInPython, forms.DateInput):
    pass


class _ListedChoiceIterator(ModelChoiceIterator):
    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in list(self.queryset):
            yield self.choice(obj)


class ListedModelChoiceField(forms.ModelChoiceField):
    """A choice of a small table's rows, read with one plain query rather than a database cursor
    (Django's iterator() opens a server-side cursor on PostgreSQL: three round trips)."""

    iterator = _ListedChoiceIterator


class LostDealForm(forms.ModelForm):
    # A fresh id per form shown: posting the same form twice finds the loss it made.
    submission_id = forms.UUIDField(widget=forms.HiddenInput, required=False)

    class Meta:
        field_classes = {"reasons": IdChoiceField}
        model = LostDeal
        fields = ["name", "amount", "currency", "stage", "lost_on", "reasons", "competitor", "notes"]
        widgets = {
            "name": forms.TextInput(attrs={"autocomplete": "off", "placeholder": "e.g. Acme Corp renewal"}),
            "amount": forms.NumberInput(attrs={"min": "0", "step": "0.01", "inputmode": "decimal"}),
            "lost_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "reasons": forms.CheckboxSelectMultiple,
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"name": "Deal or account", "reasons": "Why was it lost?", "competitor": "Competitor"}
        help_texts = {
            "amount": "Amounts are never added across currencies.",
            "reasons": "Pick all that apply. “Unknown” is fine: nobody has to guess.",
            "notes": "Private: only you ever see your notes.",
        }
        error_messages = {
            "reasons": {
                "required": "Pick at least one reason. “Unknown” is fine.",
                "invalid_choice": "That reason doesn't exist. Pick one from the list.",
                "invalid_pk_value": "That reason doesn't exist. Pick one from the list.",
            },
            "currency": {"invalid_choice": "Choose a currency code from the list, such as EUR or USD."},
            "stage": {"invalid_choice": "Choose the stage from the list."},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reasons"].queryset = LossReason.objects.all()
        too_large = "That amount looks too large. Check the number."
        self.fields["amount"].error_messages.update(
            min_value="Enter an amount of zero or more.",
            max_value=too_large,
            max_digits=too_large,
            max_whole_digits=too_large,
            max_decimal_places="Use at most two decimal places.",
        )
        self.fields["name"].error_messages["required"] = "Give the deal or account a name."
        if not self.is_bound and self.instance.pk is None:
            self.initial.setdefault("submission_id", uuid.uuid4())
            self.initial.setdefault("lost_on", timezone.localdate())

    def validate_constraints(self):
        # Django checks a CheckConstraint with a query of its own. lostdeal_amount_in_range is
        # the amount field's validators' own bounds (0 to MAX_AMOUNT), already checked, so it
        # is left to the database; the other constraints involve the owner, not in this form.
        exclude = self._get_validation_exclusions() | {"amount"}
        try:
            self.instance.validate_constraints(exclude=exclude)
        except forms.ValidationError as error:
            self._update_errors(error)

    def clean_lost_on(self):
        lost_on = self.cleaned_data["lost_on"]
        if lost_on > timezone.localdate():
            raise forms.ValidationError("The date lost can't be in the future.")
        return lost_on

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the deal or account a name.")
        return name


class LossFilterForm(forms.Form):
    """Filters of My losses, read from the query string."""

    YES_NO = [("", "Any"), ("yes", "Yes"), ("no", "No")]

    date_from = forms.DateField(required=False, label="Lost from", widget=DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(required=False, label="Lost until", widget=DateInput(attrs={"type": "date"}))
    reason = ListedModelChoiceField(
        queryset=LossReason.objects.all(),
        required=False,
        to_field_name="slug",
        empty_label="Any reason",
        widget=Select,
    )
    stage = forms.ChoiceField(choices=[("", "Any stage"), *Stage.choices], required=False, widget=Select)
    moved_on = forms.ChoiceField(choices=YES_NO, required=False, label="Moved on", widget=Select)
    finished = forms.ChoiceField(choices=YES_NO, required=False, label="Reflection finished", widget=Select)
    order = forms.ChoiceField(
        choices=[
            ("newest", "Newest first"),
            ("oldest", "Oldest first"),
            ("name", "Name A–Z"),
            ("amount", "Largest amount"),
        ],
        required=False,
        label="Sort by",
        widget=Select,
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("date_from") and cleaned.get("date_to") and cleaned["date_from"] > cleaned["date_to"]:
            self.add_error("date_to", "“Lost until” must be on or after “Lost from”.")
        return cleaned

    def selector_kwargs(self) -> dict:
        """The valid filters, as keyword arguments of selectors.own_losses."""
        data = {}
        if self.is_bound:
            self.full_clean()  # An invalid filter is left out of cleaned_data; the valid ones apply.
            data = self.cleaned_data
        as_bool = {"yes": True, "no": False}
        order = data.get("order") or "newest"
        return {
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
            "reason": data.get("reason"),
            "stage": data.get("stage", ""),
            "moved_on": as_bool.get(data.get("moved_on", "")),
            "finished": as_bool.get(data.get("finished", "")),
            "order": order if order in LOSS_ORDERINGS else "newest",
        }


class MoodField(forms.TypedChoiceField):
    def __init__(self, **kwargs):
        kwargs.setdefault("choices", MOOD_CHOICES)
        kwargs.setdefault("coerce", int)
        kwargs.setdefault("widget", forms.RadioSelect)
        kwargs.setdefault("empty_value", None)
        super().__init__(**kwargs)
        self.error_messages["invalid_choice"] = "Pick a mood from 1 (very low) to 5 (good)."


class ReflectionForm(forms.ModelForm):
    """The four tips. Anything may be saved part-way; finishing needs the essentials."""

    emotions = forms.MultipleChoiceField(
        choices=Emotion.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="What are you feeling?",
        error_messages={"invalid_choice": "“%(value)s” isn't one of the feelings listed."},
    )
    mood = MoodField(required=False, label="How do you feel right now?")
    # Tip 2: colleagues from the owner's teams (set in __init__), private like the rest.
    people = IdChoiceField(
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Colleagues you will talk to",
        help_text="From your teams. Only you see who you picked: nobody is told.",
        error_messages={
            "invalid_choice": "You can only pick colleagues from your teams.",
            "invalid_pk_value": "You can only pick colleagues from your teams.",
        },
    )

    class Meta:
        model = Reflection
        fields = [
            "emotions",
            "mood",
            "feelings",
            "people",
            "talk_to",
            "unhelpful_advice",
            "outside_control",
            "lesson",
        ]
        widgets = {
            "feelings": forms.Textarea(attrs={"rows": 4}),
            "unhelpful_advice": forms.Textarea(attrs={"rows": 2}),
            "outside_control": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {
            "feelings": "Put it into words",
            "talk_to": "Who will you talk to about it?",
            "unhelpful_advice": "Any unhelpful advice you got?",
            "outside_control": "What was outside your control?",
            "lesson": "One lesson or skill to work on",
        }
        help_texts = {
            "talk_to": "Someone who supports you and encourages you to do better.",
            "unhelpful_advice": "e.g. “You didn't want that client anyway.” Naming it helps you let it go.",
        }

    def __init__(self, *args, owner, finishing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.finishing = finishing
        self.fields["people"].queryset = teammates(owner)

    def emotion_groups(self):
        """The emotion checkboxes in their four groups, for the template."""
        by_value = {widget.data["value"]: widget for widget in self["emotions"]}
        return [(label, [by_value[value] for value in values]) for label, values in EMOTION_GROUPS]

    def clean(self):
        cleaned = super().clean()
        if self.finishing:
            if not cleaned.get("emotions") and "emotions" not in self.errors:
                self.add_error("emotions", "To finish, pick at least one feeling.")
            if cleaned.get("mood") is None and "mood" not in self.errors:
                self.add_error("mood", "To finish, say how you feel right now.")
            if not cleaned.get("lesson", "").strip() and "lesson" not in self.errors:
                self.add_error("lesson", "To finish, write one lesson or skill to work on.")
        return cleaned


class CheckInForm(forms.ModelForm):
    mood = MoodField(label="How do you feel about it now?")

    class Meta:
        model = CheckIn
        fields = ["mood", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 2})}
        labels = {"note": "Anything to add?"}


# ---------------------------------------------------------------------------
# Importing lost deals from a CRM's CSV export (recovery.imports reads the file).
# ---------------------------------------------------------------------------


class CsvUploadForm(forms.Form):
    """A CRM export to import. A valid form's `file` is the file read: an imports.Upload."""

    file = forms.FileField(
        label="Your CRM export",
        help_text="A .csv file of up to 5 MB and 5,000 deals.",
        widget=forms.FileInput(attrs={"accept": ".csv,.tsv,.txt,text/csv,text/tab-separated-values"}),
        error_messages={
            "required": "Choose the CSV file to import.",
            "empty": imports.files.EMPTY_FILE,
            "invalid": "That didn't arrive as a file. Choose the CSV file again.",
        },
    )
    default_currency = forms.ChoiceField(
        choices=CURRENCY_CHOICES,
        initial="EUR",
        label="Currency, where the file doesn't say",
        help_text="Used for the amounts of deals that have no currency in the file.",
        error_messages={"invalid_choice": "Choose a currency code from the list, such as EUR or USD."},
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > imports.MAX_BYTES:
            raise forms.ValidationError(imports.files.too_large_message(upload.size))
        try:
            return imports.read_upload(upload.name or "export.csv", upload.read())
        except imports.CsvFileError as error:
            raise forms.ValidationError(str(error)) from None


NOT_IN_FILE = "— Not in this file —"


class ColumnMappingForm(forms.Form):
    """Which column of the file holds what: for a CSV Rebound doesn't recognise, or to correct one."""

    name = forms.ChoiceField(label="Deal or account name")
    lost_on = forms.ChoiceField(label="Date lost", help_text="Most CRMs call it “Close date”.")
    amount = forms.ChoiceField(required=False, label="Amount")
    currency = forms.ChoiceField(
        required=False, label="Currency", help_text="A column of codes such as EUR or USD."
    )
    default_currency = forms.ChoiceField(
        choices=CURRENCY_CHOICES,
        initial="EUR",
        label="Currency, where the file doesn't say",
        error_messages={"invalid_choice": "Choose a currency code from the list, such as EUR or USD."},
    )
    stage = forms.ChoiceField(
        required=False,
        label="Stage it was lost at",
        help_text="Where the file doesn't say, deals are set to Proposal; you can change each one later.",
    )
    reason = forms.ChoiceField(
        required=False,
        label="Lost reason",
        help_text="Kept in your CRM's words. Where we can, we match it to Rebound's reasons.",
    )
    crm_id = forms.ChoiceField(
        required=False,
        label="CRM record id",
        help_text="Lets Rebound recognise a deal it already has, so importing again makes no duplicates.",
    )
    competitor = forms.ChoiceField(required=False, label="Competitor")
    status = forms.ChoiceField(
        required=False,
        label="Column that says whether a deal was lost",
        help_text="Leave it out if every row of the file is a lost deal.",
    )
    lost_value = forms.CharField(
        required=False,
        max_length=100,
        label="The value in that column that means lost",
        widget=forms.TextInput(attrs={"placeholder": "e.g. Closed lost"}),
        help_text="Capitals, spaces and punctuation don't matter: “closed_lost” matches “Closed lost”.",
    )

    COLUMN_FIELDS = (*imports.FIELDS, "status")

    def __init__(self, *args, columns: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", NOT_IN_FILE), *((column, column) for column in columns)]
        for name in self.COLUMN_FIELDS:
            self.fields[name].choices = choices
            self.fields[name].error_messages["invalid_choice"] = "Pick one of the file's columns."
        self.fields["name"].error_messages["required"] = "Pick the column with the deal or account names."
        self.fields["lost_on"].error_messages["required"] = "Pick the column with the dates lost."

    def clean(self):
        cleaned = super().clean()
        lost_value = cleaned.get("lost_value", "").strip()
        if cleaned.get("status") and not lost_value:
            self.add_error("lost_value", "Type the value that means a deal was lost, e.g. “Closed lost”.")
        elif lost_value and not cleaned.get("status") and "status" not in self.errors:
            self.add_error("status", f"Pick the column that holds “{lost_value}”, or clear that value.")
        name = cleaned.get("name")
        if name:
            for other in ("lost_on", "amount"):
                if cleaned.get(other) == name:
                    self.add_error(other, "This is the column you picked for the deal name. Pick another.")
        return cleaned

    def mapping(self) -> dict:
        """The mapping the rep picked, as CsvImport.mapping keeps it."""
        data = self.cleaned_data
        mapping = {name: data[name] for name in self.COLUMN_FIELDS if data.get(name)}
        if mapping.get("status"):
            mapping["lost_value"] = data["lost_value"].strip()
        mapping["default_currency"] = data["default_currency"]
        return mapping
