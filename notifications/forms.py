from django import forms

from notifications.models import Delivery, Kind

HELP = {
    Kind.REPLY: "When someone answers one of your annotations.",
    Kind.MENTION: "When someone writes @your-username in a published annotation or reply.",
    Kind.MODERATION: "When a moderator approves, rejects or hides one of your annotations.",
}


class NotificationSettingsForm(forms.Form):
    """One choice per kind of notice: immediately, in a daily digest, or never."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for kind in Kind:
            self.fields[kind.value] = forms.ChoiceField(
                label=kind.label,
                choices=Delivery.choices,
                widget=forms.RadioSelect,
                help_text=HELP[kind],
                error_messages={
                    "required": "Choose how you want to hear about this.",
                    "invalid_choice": "Choose one of the options shown.",
                },
            )
