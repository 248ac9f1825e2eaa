"""Request hygiene that applies to every view."""

from django.http import HttpResponseBadRequest


class RejectNulBytesMiddleware:
    """Refuse requests whose path, query string or form fields hold a NUL character.

    No text we store or look up may contain one (PostgreSQL refuses it with an
    error, which would surface as a 500); a clear 400 is the right answer.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            "\x00" in request.path
            or self._has_nul(request.GET)
            or (
                request.method == "POST"
                and request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data")
                and self._has_nul(request.POST)
            )
        ):
            return HttpResponseBadRequest("Bad request: NUL characters are not accepted.", content_type="text/plain")
        return self.get_response(request)

    @staticmethod
    def _has_nul(data) -> bool:
        return any("\x00" in key or any("\x00" in value for value in data.getlist(key)) for key in data)
