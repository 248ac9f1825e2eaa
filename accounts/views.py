from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from .forms import SignupForm
from .services import sign_up


@require_http_methods(["GET", "POST"])
def signup(request):
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    if request.user.is_authenticated:
        return HttpResponseRedirect(next_url) if next_url else redirect("articles:article-list")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = sign_up(form=form)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(
            request, f"Welcome, {user.get_username()}. Select words in any paragraph, or use its Annotate link."
        )
        return HttpResponseRedirect(next_url) if next_url else redirect("articles:article-list")
    return render(
        request, "registration/signup.html", {"form": form, "next": next_url}, status=400 if form.errors else 200
    )
