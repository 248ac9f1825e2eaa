from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm

from accounts.text import no_control_characters


class SignupForm(UserCreationForm):
    email = forms.EmailField(required=True, help_text="For password resets and moderation notices; never shown.")

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ["username", "email"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # first, so a control character gets this message rather than the username validator's
        self.fields["username"].validators.insert(0, no_control_characters)

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("An account with this e-mail address already exists.")
        return email
