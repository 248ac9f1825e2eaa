from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm, UserCreationForm
from django.template.loader import render_to_string

from accounts.text import no_control_characters
from notifications.services import queue_email


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


class OutboxPasswordResetForm(PasswordResetForm):
    """Django's reset form, with its e-mail written to the outbox (delivered by the job queue, retried
    while the mail server is down) instead of sent during the request: a reset never fails on SMTP."""

    def send_mail(
        self, subject_template_name, email_template_name, context, from_email, to_email, html_email_template_name=None
    ):
        subject = "".join(render_to_string(subject_template_name, context).splitlines())
        body = render_to_string(email_template_name, context)
        queue_email(to=to_email, subject=subject, body=body, kind="password_reset", sensitive=True)
