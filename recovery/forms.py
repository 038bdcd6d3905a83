import uuid

from django import forms
from django.utils import timezone

from teams.access import teammates
from teams.models import User

from .models import EMOTION_GROUPS, MOOD_CHOICES, CheckIn, Emotion, LossReason, LostDeal, Reflection, Stage
from .selectors import LOSS_ORDERINGS


class LostDealForm(forms.ModelForm):
    # A fresh id per form shown: posting the same form twice finds the loss it made.
    submission_id = forms.UUIDField(widget=forms.HiddenInput, required=False)

    class Meta:
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

    date_from = forms.DateField(
        required=False, label="Lost from", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        required=False, label="Lost until", widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.ModelChoiceField(
        queryset=LossReason.objects.all(), required=False, to_field_name="slug", empty_label="Any reason"
    )
    stage = forms.ChoiceField(choices=[("", "Any stage"), *Stage.choices], required=False)
    moved_on = forms.ChoiceField(choices=YES_NO, required=False, label="Moved on")
    finished = forms.ChoiceField(choices=YES_NO, required=False, label="Reflection finished")
    order = forms.ChoiceField(
        choices=[
            ("newest", "Newest first"),
            ("oldest", "Oldest first"),
            ("name", "Name A–Z"),
            ("amount", "Largest amount"),
        ],
        required=False,
        label="Sort by",
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
    people = forms.ModelMultipleChoiceField(
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
