"""The published verdict scale: one page whose fragments are the verdicts' IRIs (``/verdicts/#false``).

Fact-checks name their verdict by these IRIs in the W3C protocol (``annotations.services.w3c_input``
accepts them in an ``assessing`` body), and readers reach the page from the footer.
"""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_safe

from annotations.verdicts import BEST_RATING, SCALE, WORST_RATING


@require_safe
def verdict_scale(request):
    return render(
        request,
        "annotations/verdict_scale.html",
        {"verdicts": list(SCALE.values()), "best_rating": BEST_RATING, "worst_rating": WORST_RATING},
    )
