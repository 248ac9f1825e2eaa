from django.contrib.auth import views as auth_views
from django.urls import include, path

from notifications import views as notification_views

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
    # e-mail notices (issue #15): the settings page, and the signed unsubscribe link (no login; RFC 8058 one-click)
    path(
        "accounts/notifications/",
        rate_limited("edit")(notification_views.notification_settings),
        name="notification-settings",
    ),
    path(
        "notifications/unsubscribe/<str:token>/",
        rate_limited("edit")(notification_views.unsubscribe),
        name="notification-unsubscribe",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
]
