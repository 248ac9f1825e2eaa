"""The sample article and its known provenance, for the demo set-up.

The facts come from the seed's README (they are not in the file itself);
the importer captures what the file does say (publisher, original URL, date).
"""

import datetime as dt
from pathlib import Path

from accounts.roles import ANNOTATORS, EDITORS, MODERATORS

SAMPLE_SLUG = "altman-reflections"
SAMPLE_PATH = Path(__file__).resolve().parent / "samples" / "000_60b9fac06400bc2f.txt"

SAMPLE_DEK = (
    "Sam Altman's blog post “Reflections”, as republished by a Shanghai AI company: "
    "an English machine translation of a Chinese translation. Read it beside the original; "
    "fact-checks mark where the copy drifts."
)

SAMPLE_SOURCE = {
    "original_url": "https://blog.samaltman.com/reflections",
    "original_title": "Reflections",
    "original_author": "Sam Altman",
    "original_published_on": dt.date(2025, 1, 5),
    "original_language": "en",
    "publisher_url": "https://aigca360.com/",
    "copy_url": "https://aigca360.com/xinwen_en/26882.html",
    "copy_published_on": dt.date(2025, 1, 6),
    "copy_language": "en",
    "is_translation": True,
    "translated_from": "a Chinese translation of the English original",
    "translation_notes": (
        "English machine translation of a Chinese translation of the post, published in the “News” section "
        "of the English pages of the site of Quantum (Shanghai) Artificial Intelligence Technology Co., Ltd. "
        "The wording drifts from the original in places (tone, hedges, some terms): compare with the original "
        "before quoting it. The republisher's three-paragraph lead and the heading are not part of the original."
    ),
    "archived_url": "https://web.archive.org/web/2025/https://aigca360.com/xinwen_en/26882.html",
    "rights_note": (
        "The original is © Sam Altman. The copy is reproduced here in full for criticism and review "
        "(fact-checking its translation); page furniture, including the publisher's contact details, was removed."
    ),
    "editorial_notes": (
        "The original was published on Sunday 5 January 2025 (US time); the copy is dated the next day, "
        "Shanghai time. Image placeholders in the copy are kept as placeholders."
    ),
}

# Demo accounts: username -> (password, role). Created only with DEBUG on.
DEMO_ACCOUNTS = {
    "editor": ("editor-demo-pass", EDITORS),
    "moderator": ("moderator-demo-pass", MODERATORS),
    "alice": ("alice-demo-pass", ANNOTATORS),
    "bob": ("bob-demo-pass", ANNOTATORS),
}
