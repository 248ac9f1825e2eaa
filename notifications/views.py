"""The people's side of notifications: their settings page, and the signed one-click unsubscribe link.

Both are wired (with the site's rate limits) in ``accounts/urls.py``. The
unsubscribe link needs no login: its signature is the authority (it names one
user and one kind). GET shows what it will do and a button; POST does it, from
that button or from a mail client's RFC 8058 one-click request (a POST with
``List-Unsubscribe=One-Click`` and no cookies, hence no CSRF check here: a
forged request would need the signed link itself).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from notifications import preferences
from notifications.forms import NotificationSettingsForm
from notifications.models import Kind


@login_required
@require_http_methods(["GET", "POST"])
def notification_settings(request):
    current = preferences.deliveries_for(request.user)
    if request.method == "GET":
        form = NotificationSettingsForm(initial=current)
    else:
        form = NotificationSettingsForm(request.POST)
        if form.is_valid():
            changed = preferences.set_deliveries(user=request.user, deliveries=form.cleaned_data)
            messages.success(request, "Your e-mail settings are saved." if changed else "Nothing changed.")
            return redirect("notification-settings")
    return render(
        request,
        "notifications/settings.html",
        {"form": form, "email": request.user.email},
        status=400 if form.errors else 200,
    )


def _bad_link(request, error: preferences.BadToken):
    response = render(
        request, "notifications/unsubscribe_invalid.html", {"error": str(error), "expired": error.expired}, status=400
    )
    response["Cache-Control"] = "no-store"
    return response


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    if request.method == "GET":
        try:
            subscription = preferences.read_token(token)
        except preferences.BadToken as error:
            return _bad_link(request, error)
        response = render(
            request,
            "notifications/unsubscribe.html",
            {"subscription": subscription, "done": False, "kinds": [Kind(k).label for k in subscription.kinds]},
        )
    else:
        try:
            subscription, kinds = preferences.unsubscribe(token=token)
        except preferences.BadToken as error:
            return _bad_link(request, error)
        response = render(
            request,
            "notifications/unsubscribe.html",
            {"subscription": subscription, "done": True, "kinds": [Kind(k).label for k in kinds]},
        )
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"  # the signed link is in the address: never pass it on
    return response
