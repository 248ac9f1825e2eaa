from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views
from .forms import OutboxPasswordResetForm
from .ratelimits import rate_limited

urlpatterns = [
    path("accounts/signup/", rate_limited("signup")(views.signup), name="signup"),
    path("accounts/login/", rate_limited("login")(auth_views.LoginView.as_view()), name="login"),
    path(
        "accounts/password_reset/",
        rate_limited("password_reset")(auth_views.PasswordResetView.as_view(form_class=OutboxPasswordResetForm)),
        name="password_reset",
    ),
    path("accounts/tokens/", views.api_tokens, name="api-tokens"),
    path("accounts/tokens/<int:pk>/revoke/", views.api_token_revoke, name="api-token-revoke"),
    path("accounts/", include("django.contrib.auth.urls")),
]
