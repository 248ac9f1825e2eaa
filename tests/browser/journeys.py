"""Annotations the browser journeys need but do not exercise, written through the services.

The live server shares the test database, so the browser sees them at once.
"""

from django.contrib.auth import get_user_model

from annotations import services
from annotations.models import Annotation
from annotations.services import moderation

NOTE_QUOTE = "the most impactful technology in human history"
NOTE_BODY = "The original also says “the most impactful technology in human history”: AGI is the claim."
CHECK_QUOTE = "released it on November 30, 2022"
CHECK_BODY = "ChatGPT was announced and released on 30 November 2022."
EVIDENCE_URL = "https://openai.com/index/chatgpt/"


def user(username):
    return get_user_model().objects.get(username=username)


def key_containing(article, phrase: str) -> str:
    return article.blocks.current().get(text__contains=phrase).key


def create_note(article, *, author="alice", quote=NOTE_QUOTE, body=NOTE_BODY, tags="translation, AGI") -> Annotation:
    return services.create_annotation(
        author=user(author),
        article=article,
        block_key=key_containing(article, quote),
        kind=Annotation.Kind.NOTE,
        body=body,
        tags=tags,
        quote=services.QuoteInput(exact=quote),
    )


def create_fact_check(article, *, author="alice", quote=CHECK_QUOTE, body=CHECK_BODY) -> Annotation:
    return services.create_annotation(
        author=user(author),
        article=article,
        block_key=key_containing(article, quote),
        kind=Annotation.Kind.FACT_CHECK,
        body=body,
        tags="dates",
        quote=services.QuoteInput(exact=quote),
        verdict="accurate",
        evidence=[services.EvidenceInput(url=EVIDENCE_URL, title="Introducing ChatGPT (OpenAI)")],
    )


def approve(*annotations: Annotation) -> None:
    for annotation in annotations:
        moderation.approve(annotation=annotation, actor=user("moderator"))


def approved_note_and_fact_check(article) -> tuple[Annotation, Annotation]:
    note, check = create_note(article), create_fact_check(article, author="bob")
    approve(note, check)
    return note, check
