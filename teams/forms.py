import unicodedata

from django import forms

from .access import teammates
from .models import Audience, Comment, Encouragement, Team, User


class SignupForm(forms.Form):
    """Extra fields for allauth's sign-up form: the name colleagues will see."""

    name = forms.CharField(
        label="Display name",
        max_length=80,
        help_text="How your colleagues will see you, e.g. “Ana Silva”.",
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )

    field_order = ["name"]

    def signup(self, request, user):
        user.name = self.cleaned_data["name"].strip()
        user.save(update_fields=["name"])


class TeamForm(forms.ModelForm):
    class Meta:
        model = Team
        fields = ["name"]
        labels = {"name": "Team name"}
        help_texts = {"name": "e.g. “EMEA Mid-Market”. You'll be its manager and can invite colleagues."}


INVALID_EMAIL = "Enter a valid email address, like ana@example.com."
BIGGEST_ID = 2**63 - 1


def has_control_characters(text: str) -> bool:
    """Control characters (line breaks among them) that no email header may carry."""
    return any(unicodedata.category(character) == "Cc" for character in text)


class IdChoiceField(forms.ModelMultipleChoiceField):
    """Several rows picked by id. An id too big for the database is invalid, not a crash."""

    def _check_values(self, value):
        for pk in value:
            digits = pk.lstrip("-") if isinstance(pk, str) else ""
            if digits.isdigit() and (len(digits) > 19 or int(digits) > BIGGEST_ID):
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                )
        return super()._check_values(value)


class InvitationForm(forms.Form):
    email = forms.EmailField(
        label="Their email address", max_length=254, error_messages={"invalid": INVALID_EMAIL}
    )

    def clean_email(self):
        email = self.cleaned_data["email"]
        if has_control_characters(email):
            raise forms.ValidationError(INVALID_EMAIL)
        return email


class TrustedColleaguesForm(forms.Form):
    colleagues = IdChoiceField(
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Colleagues you trust",
        help_text="People who support you and encourage you to do better. Nobody is told who is on it.",
        error_messages={
            "invalid_choice": "You can only trust colleagues from your teams.",
            "invalid_pk_value": "You can only trust colleagues from your teams.",
        },
    )

    def __init__(self, *args, owner, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["colleagues"].queryset = teammates(owner)


class ShareForm(forms.Form):
    """Tip 4: with whom to share a loss, what to show, and a message."""

    TRUSTED = "trusted"

    audience = forms.ChoiceField(
        label="Share with",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose who to share it with.",
            "invalid_choice": "Pick one of your teams.",
        },
    )
    message = forms.CharField(
        label="A message to them",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="e.g. “Lost this one on price. Any ideas for next time?”",
    )
    show_name = forms.BooleanField(label="Show the account name", required=False)
    show_amount = forms.BooleanField(label="Show the amount", required=False)
    include_lesson = forms.BooleanField(label="Include my lesson", required=False)

    def __init__(self, *args, owner, **kwargs):
        super().__init__(*args, **kwargs)
        self.teams = {str(team.code): team for team in Team.objects.filter(memberships__user=owner)}
        self.fields["audience"].choices = [
            *((code, f"Everyone in {team.name}") for code, team in self.teams.items()),
            (self.TRUSTED, "My trusted colleagues"),
        ]

    def audience_and_team(self) -> tuple[str, Team | None]:
        choice = self.cleaned_data["audience"]
        if choice == self.TRUSTED:
            return Audience.TRUSTED, None
        return Audience.TEAM, self.teams[choice]


class EncouragementForm(forms.Form):
    kind = forms.ChoiceField(
        choices=Encouragement.Kind.choices,
        error_messages={"invalid_choice": "That kind of encouragement doesn't exist."},
    )


class CommentForm(forms.ModelForm):
    # Set by "Post it anyway" after the writer saw tip 2 and chose to keep their words.
    post_anyway = forms.BooleanField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Comment
        fields = ["body"]
        labels = {"body": "Write something supportive"}
        widgets = {"body": forms.Textarea(attrs={"rows": 3})}
        error_messages = {
            "body": {
                "required": "Write a few words first.",
                "max_length": "Keep it under %(limit_value)d characters.",
            }
        }

    def clean_body(self):
        body = self.cleaned_data["body"].strip()
        if not body:
            raise forms.ValidationError("Write a few words first.")
        return body


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["name", "email_notifications", "check_in_reminders"]
        labels = {
            "name": "Display name",
            "email_notifications": "Email me about my shared losses and colleagues'",
            "check_in_reminders": "Email me when a check-in is due",
        }
        help_texts = {
            "email_notifications": "Comments and encouragement on losses you share, and losses shared "
            "with you. They always appear in the app too.",
            "check_in_reminders": "One short email on the morning a check-in falls due (one, three and "
            "seven days after a loss), asking how you feel about it now. Only you see your answers.",
        }
