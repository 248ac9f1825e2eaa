from django import forms
from django.core.exceptions import ValidationError
from django.forms import formset_factory

from accounts.text import NormalisedURLField, no_control_characters
from annotations.models import BODY_MAX_LENGTH, CLAIM_MAX_LENGTH, QUOTE_MAX_LENGTH, Annotation, Flag, http_url
from annotations.services import MAX_EVIDENCE, EvidenceInput, QuoteInput
from annotations.tagging import MAX_TAGS
from annotations.verdicts import Verdict


def add_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: on its field when the form has it, else above the form."""
    items = exc.message_dict.items() if hasattr(exc, "error_dict") else [(None, exc.messages)]
    for field, texts in items:
        for text in texts:
            form.add_error(field if field in form.fields else None, text)


def small_int(value) -> int | None:
    """A non-negative id or offset from a query string or form, else None.

    ``str.isdigit`` accepts characters such as "²" that ``int`` refuses, and
    ``int`` refuses strings over 4,300 digits: both would be a 500.
    """
    value = str(value or "")
    if value.isascii() and value.isdecimal() and len(value) <= 18:
        return int(value)
    return None


def tags_field(label: str) -> forms.CharField:
    """The comma-separated tags of an annotation or a reply (parsed and checked by the services), with the
    page's list of existing tags as suggestions."""
    return forms.CharField(
        required=False,
        max_length=500,
        label=label,
        help_text=f"Comma-separated, up to {MAX_TAGS}.",
        widget=forms.TextInput(attrs={"list": "tag-suggestions", "autocomplete": "off"}),
    )


class ReplyForm(forms.Form):
    """A reply to an annotation (issue #15): a body and optional tags; it is public, like its thread."""

    body = forms.CharField(
        max_length=BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Your reply",
        help_text="Plain text; *emphasis*, [links](https://…), lists and > quotes work. Replies are public.",
    )
    tags = tags_field("Tags (optional)")


class AnnotationForm(forms.Form):
    kind = forms.ChoiceField(
        choices=Annotation.Kind.choices, widget=forms.RadioSelect, initial=Annotation.Kind.NOTE, label="Kind"
    )
    quote = forms.CharField(
        required=False,
        max_length=QUOTE_MAX_LENGTH,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Exact quote (optional)",
        help_text="Paste the exact words of the paragraph you mean, or leave empty to annotate the whole paragraph.",
    )
    quote_start = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    quote_end = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    offsets_unit = forms.ChoiceField(
        required=False, choices=[("", "code points"), ("utf16", "UTF-16")], widget=forms.HiddenInput
    )
    body = forms.CharField(
        max_length=BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        label="Note",
        help_text="For a fact-check, the explanation. Plain text; *emphasis*, [links](https://…), lists and > quotes work.",
    )
    tags = tags_field("Tags")
    visibility = forms.ChoiceField(
        choices=Annotation.Visibility.choices, widget=forms.RadioSelect, initial=Annotation.Visibility.PUBLIC
    )
    claim = forms.CharField(
        required=False,
        max_length=CLAIM_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Claim checked",
        help_text="Fact-checks only. Defaults to the quote.",
    )
    verdict = forms.ChoiceField(
        required=False,
        choices=[("", "— choose a verdict —"), *Verdict.choices],
        label="Verdict",
        help_text="Fact-checks only.",
    )

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            # kind and paragraph are fixed once written
            self.fields["kind"].disabled = True

    def quote_input(self) -> QuoteInput:
        data = self.cleaned_data
        return QuoteInput(
            exact=data.get("quote") or "",
            start=data.get("quote_start"),
            end=data.get("quote_end"),
            utf16=data.get("offsets_unit") == "utf16",
        )


class EvidenceURLField(NormalisedURLField):
    """An evidence or archived-copy URL: normalised, then http(s) only, with the model's one message
    (Django's own "Enter a valid URL." would come first for ``javascript:…``, and contradict it)."""

    default_validators = [http_url]


class EvidenceForm(forms.Form):
    url = EvidenceURLField(label="Source URL", max_length=1000, required=False, assume_scheme="https")
    title = forms.CharField(label="Source title", max_length=300, required=False, validators=[no_control_characters])
    excerpt = forms.CharField(
        label="Quoted excerpt (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        validators=[no_control_characters],
    )
    archived_url = EvidenceURLField(
        label="Archived copy URL (optional)", max_length=1000, required=False, assume_scheme="https"
    )

    def clean(self):
        data = super().clean()
        filled = any(data.get(name) for name in ("url", "title", "excerpt", "archived_url"))
        if filled and not data.get("url") and "url" not in self.errors:
            self.add_error("url", "Give the source's URL.")
        if filled and not data.get("title"):
            self.add_error("title", "Give the source's title.")
        for name in ("url", "archived_url"):
            value = data.get(name)
            if value and not value.lower().startswith(("http://", "https://")):
                self.add_error(name, "Enter an http:// or https:// address.")
        return data


class EvidenceFormSet(forms.BaseFormSet):
    # the services' own message (annotations.services.check_evidence), as the admin shows it
    default_error_messages = {
        **forms.BaseFormSet.default_error_messages,
        "too_many_forms": f"Give at most {MAX_EVIDENCE} evidence sources.",
    }

    def evidence_inputs(self) -> list[EvidenceInput]:
        return [
            EvidenceInput(
                url=f.cleaned_data["url"],
                title=f.cleaned_data["title"],
                excerpt=f.cleaned_data.get("excerpt", ""),
                archived_url=f.cleaned_data.get("archived_url", ""),
            )
            for f in self.forms
            if f.cleaned_data and f.cleaned_data.get("url")
        ]


def evidence_formset(data=None, initial=None, blank_rows: int = 2) -> EvidenceFormSet:
    initial = list(initial or [])
    formset_class = formset_factory(
        EvidenceForm,
        formset=EvidenceFormSet,
        extra=max(0, min(blank_rows, MAX_EVIDENCE - len(initial))),
        max_num=MAX_EVIDENCE,
        validate_max=True,
        absolute_max=MAX_EVIDENCE,
    )
    return formset_class(data=data, initial=initial, prefix="evidence")


class FlagForm(forms.Form):
    reason = forms.ChoiceField(choices=Flag.Reason.choices, widget=forms.RadioSelect, label="What is wrong?")
    text = forms.CharField(
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Details",
        help_text="Required when the reason is “other”. Moderators read this; the author does not.",
    )

    def clean(self):
        data = super().clean()
        if data.get("reason") == Flag.Reason.OTHER and not (data.get("text") or "").strip():
            self.add_error("text", "Say what is wrong when the reason is “other”.")
        return data


class ModerationDecisionForm(forms.Form):
    """The reason a moderator gives for a bulk action (shown to the authors)."""

    reason = forms.CharField(
        required=False,
        max_length=2000,
        validators=[no_control_characters],
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Shown to each author and sent in the e-mail. Required to reject or hide.",
    )
