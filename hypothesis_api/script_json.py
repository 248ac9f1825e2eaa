"""JSON for a ``<script type="application/json">`` element (Django's ``json_script`` cannot set the class the
Hypothesis client looks for): ``<``, ``>`` and ``&`` escaped, so no value can close the element."""

from __future__ import annotations

import json

from django.utils.safestring import SafeString, mark_safe

_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def script_json(data) -> SafeString:
    # safe: json.dumps quotes every string, and the escapes leave no "<" to start "</script>" or "<!--"
    return mark_safe(json.dumps(data, ensure_ascii=False).translate(_ESCAPES))
