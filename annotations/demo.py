"""The sample article's demo annotations: what the desk would publish on it, plus a moderation queue.

``setup_demo`` adds these once, through the same services people use (create, moderate, flag), so the
demo shows every state: published notes and fact-checks, two items waiting in the queue, a rejected
note with its reason, and a reader's flag. Each one is anchored by its quote, or by the start of its
paragraph, not by block keys, which the importer derives.

The fact-checks only claim what the copy itself or a cited source shows: where they quote the original
post, they quote wording that the press reported verbatim at the time.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from annotations.models import Annotation, Flag
from annotations.services import EvidenceInput, QuoteInput, create_annotation, moderation
from articles.models import Article, Block

ORIGINAL = "https://blog.samaltman.com/reflections"
ORIGINAL_TITLE = "Sam Altman, “Reflections” (the original post, 5 January 2025)"


def in_the_original(excerpt: str) -> EvidenceInput:
    return EvidenceInput(url=ORIGINAL, title=ORIGINAL_TITLE, excerpt=excerpt)


GOVERNANCE_IN_THE_ORIGINAL = in_the_original(
    "The whole event was, in my opinion, a big failure of governance by well-meaning people, myself included."
)


@dataclass(frozen=True)
class DemoFlag:
    reporter: str
    reason: str
    text: str = ""


@dataclass(frozen=True)
class DemoAnnotation:
    author: str
    paragraph: str  # the paragraph's first words; the quote, when given, must lie inside it
    body: str
    kind: str = Annotation.Kind.NOTE
    quote: str = ""
    tags: tuple[str, ...] = ()
    claim: str = ""
    verdict: str = ""
    evidence: tuple[EvidenceInput, ...] = ()
    status: str = Annotation.Status.APPROVED  # approved, pending or rejected
    reason: str = ""  # the moderator's reason, for a rejection
    flags: tuple[DemoFlag, ...] = ()


FACT_CHECK = Annotation.Kind.FACT_CHECK
Status = Annotation.Status

DEMO_ANNOTATIONS: tuple[DemoAnnotation, ...] = (
    DemoAnnotation(
        author="bob",
        paragraph="Sam Altman is starting to reflect.",
        body=(
            "From here to the image placeholder, the text is the **republisher's own lead**, not Altman's post. "
            "The post itself starts at “ChatGPT celebrated its second birthday”."
        ),
        tags=("provenance",),
        flags=(
            DemoFlag(
                reporter="alice",
                reason=Flag.Reason.OTHER,
                text="Worth saying that the heading “Reflection” below is the republisher's too.",
            ),
        ),
    ),
    DemoAnnotation(
        author="alice",
        paragraph="He said the previous dismissals",
        quote="a big failure of governance by well-meaning people",
        kind=FACT_CHECK,
        claim="Altman called his firing a big failure of governance by well-meaning people.",
        verdict="missing_context",
        body=(
            "The lead drops the end of Altman's sentence: he counted himself among those well-meaning people. "
            "This copy's own translation of the passage, further down, keeps it (“including me”)."
        ),
        tags=("lead", "governance"),
        evidence=(GOVERNANCE_IN_THE_ORIGINAL,),
    ),
    DemoAnnotation(
        author="bob",
        paragraph="He said the previous dismissals",
        quote="now they know how to build AGI",
        kind=FACT_CHECK,
        claim="Altman said OpenAI now knows how to build AGI.",
        verdict="misleading",
        body=(
            "The hedge is gone. Altman wrote that OpenAI is *confident* it knows how to build AGI "
            "*as we have traditionally understood it*, a qualifier that matters because the post then turns to "
            "superintelligence. This copy's own translation of that paragraph keeps the hedge."
        ),
        tags=("lead", "hedges", "agi"),
        evidence=(
            in_the_original("We are now confident we know how to build AGI as we have traditionally understood it."),
        ),
    ),
    DemoAnnotation(
        author="bob",
        paragraph="reflection",
        body="Not in the original, which has no headings: the republisher added this one.",
        tags=("provenance",),
    ),
    DemoAnnotation(
        author="alice",
        paragraph="We started OpenAI almost nine years ago",
        quote="that it would be the most impactful technology in human history",
        kind=FACT_CHECK,
        claim="OpenAI's founders believed AGI would be the most impactful technology in human history.",
        verdict="mistranslation",
        body=(
            "Altman wrote that AGI *could* be the most impactful technology in human history. "
            "“Would” turns a possibility into a prediction."
        ),
        tags=("hedges", "translation"),
        evidence=(
            in_the_original(
                "We started OpenAI almost nine years ago because we believed that AGI was possible, "
                "and that it could be the most impactful technology in human history."
            ),
        ),
    ),
    DemoAnnotation(
        author="bob",
        paragraph="In 2022, OpenAI is still a quiet research lab",
        quote="Chatting with GPT-3.5",
        kind=FACT_CHECK,
        claim="The project that became ChatGPT was tentatively called “Chatting with GPT-3.5”.",
        verdict="mistranslation",
        body=(
            "The working name was **Chat With GPT-3.5**: the round trip through Chinese changed a proper name. "
            "The paragraph is also in the present tense (“is still”), though it describes 2022."
        ),
        tags=("names", "translation"),
        evidence=(
            in_the_original(
                "In 2022, OpenAI was a quiet research lab working on something temporarily called 'Chat With GPT-3.5'."
            ),
        ),
    ),
    DemoAnnotation(
        author="alice",
        paragraph="In the end, we named it ChatGPT",
        quote="released it on November 30, 2022",
        kind=FACT_CHECK,
        claim="ChatGPT was released on 30 November 2022.",
        verdict="accurate",
        body="OpenAI announced and opened ChatGPT to the public on 30 November 2022.",
        tags=("dates",),
        evidence=(EvidenceInput(url="https://openai.com/index/chatgpt/", title="Introducing ChatGPT (OpenAI)"),),
    ),
    DemoAnnotation(
        author="alice",
        paragraph="A little over a year ago on a Friday",
        quote="(November 18, 2023)",
        kind=FACT_CHECK,
        claim="Altman was fired on Friday 18 November 2023.",
        verdict="false",
        body=(
            "Altman was fired on **Friday 17 November 2023**, the day OpenAI's board announced it. "
            "18 November 2023 was a Saturday, so the copy contradicts its own “on a Friday”. "
            "The date in brackets is not in the original sentence; the translation chain added it."
        ),
        tags=("dates", "governance"),
        evidence=(
            EvidenceInput(
                url="https://openai.com/index/openai-announces-leadership-transition/",
                title="OpenAI announces leadership transition (OpenAI, 17 November 2023)",
            ),
        ),
    ),
    DemoAnnotation(
        author="alice",
        paragraph="We are proud of our research and deployment track record",
        quote="security and benefit-sharing",
        body=(
            "“Security” is probably the Chinese 安全 translated back: it means both *safety* and *security*. "
            "OpenAI's term is AI **safety**, as the next sentence of this copy has it; the same slip recurs "
            "in “the security of the technology”. And “safety and adjustment research” is, in the field's "
            "terms, *safety and alignment research*."
        ),
        tags=("translation", "terms"),
    ),
    # Waiting for a moderator: the queue has work in it.
    DemoAnnotation(
        author="alice",
        paragraph="In my opinion, the whole affair",
        quote="a colossal failure of governance by good people",
        kind=FACT_CHECK,
        claim="Altman called the affair a colossal failure of governance by good people, himself included.",
        verdict="mostly_accurate",
        body=(
            "The substance is right, himself included, but Altman said a *big* failure, by *well-meaning* "
            "people: the copy turns up the volume."
        ),
        tags=("governance", "translation"),
        evidence=(GOVERNANCE_IN_THE_ORIGINAL,),
        status=Status.PENDING,
    ),
    DemoAnnotation(
        author="bob",
        paragraph="We all got back to work",
        quote="undoubtedly the best research ever done",
        body=(
            "This reads as a claim about all research anywhere. Needs checking against the original: "
            "I expect Altman meant OpenAI's own best research."
        ),
        tags=("needs-checking",),
        status=Status.PENDING,
    ),
    # Rejected, with the reason its author sees.
    DemoAnnotation(
        author="bob",
        paragraph="We're starting to look further afield",
        body="Pure hype.",
        status=Status.REJECTED,
        reason="Annotations say something checkable about the text. Say what is wrong in this paragraph, "
        "with a source.",
    ),
)


def _block(blocks: list[Block], spec: DemoAnnotation) -> Block:
    found = [b for b in blocks if b.text.startswith(spec.paragraph)]
    if len(found) != 1:
        raise ValueError(f"demo annotation: {len(found)} paragraphs start with {spec.paragraph!r}")
    return found[0]


@transaction.atomic
def add_demo_annotations(*, article: Article, moderator) -> list[Annotation]:
    """Create the demo annotations on the sample article, unless its demo authors have written on it.

    Returns what it created (nothing the second time). Every write goes through the services, so the
    moderation log, counts and caches are as if people had done it.
    """
    users = {u.username: u for u in get_user_model().objects.filter(username__in=_usernames())}
    if Annotation.objects.filter(article=article, author__in=users.values()).exists():
        return []
    blocks = list(article.blocks.current())
    created = []
    for spec in DEMO_ANNOTATIONS:
        block = _block(blocks, spec)
        annotation = create_annotation(
            author=users[spec.author],
            article=article,
            block_key=block.key,
            kind=spec.kind,
            body=spec.body,
            tags=list(spec.tags),
            quote=QuoteInput(exact=spec.quote) if spec.quote else QuoteInput(),
            claim=spec.claim,
            verdict=spec.verdict,
            evidence=spec.evidence,
        )
        if annotation.status == Status.PENDING and spec.status == Status.APPROVED:
            annotation = moderation.approve(annotation=annotation, actor=moderator)
        elif annotation.status == Status.PENDING and spec.status == Status.REJECTED:
            annotation = moderation.reject(annotation=annotation, actor=moderator, reason=spec.reason)
        for flag in spec.flags:
            moderation.flag_annotation(
                annotation=annotation, reporter=users[flag.reporter], reason=flag.reason, text=flag.text
            )
        created.append(annotation)
    return created


def _usernames() -> set[str]:
    names = {spec.author for spec in DEMO_ANNOTATIONS}
    names.update(flag.reporter for spec in DEMO_ANNOTATIONS for flag in spec.flags)
    return names
