from django import forms


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
