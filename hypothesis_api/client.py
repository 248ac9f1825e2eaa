"""Where the Hypothesis client is, and the configuration the article page and the sidebar's page give it."""

from __future__ import annotations

from django.conf import settings
from django.templatetags.static import static
from django.urls import reverse

from hypothesis_api import tokens


def installed() -> bool:
    """Whether the client's build is there (``npm ci``: ``make run`` does it), so static files can serve it."""
    build = getattr(settings, "HYPOTHESIS_CLIENT_BUILD", None)
    return build is not None and (build / "boot.js").is_file()


def boot_url(request) -> str:
    return request.build_absolute_uri(static("hypothesis/build/boot.js"))


def asset_root(request) -> str:
    """The folder that holds ``build/`` (the boot script loads ``<assetRoot>build/<file>?<hash>``)."""
    return request.build_absolute_uri(settings.STATIC_URL.rstrip("/") + "/hypothesis/")


def api_url(request) -> str:
    return request.build_absolute_uri(reverse("hypothesis_api:index"))


def host_config(request, *, article_path: str) -> dict:
    """The article page's configuration (read by ``hypothesis_api/host-config.js`` into ``window.hypothesisConfig``,
    which adds the log in / sign up / log out handlers that send the reader to our pages and back)."""
    back = f"{article_path}?client=hypothesis"
    return {
        "assetRoot": asset_root(request),
        "sidebarAppUrl": request.build_absolute_uri(reverse("hypothesis_api:sidebar-app")),
        "notebookAppUrl": request.build_absolute_uri(reverse("hypothesis_api:notebook-app")),
        "profileAppUrl": request.build_absolute_uri(reverse("hypothesis_api:profile-app")),
        "openSidebar": True,
        "showHighlights": "always",
        "services": [
            {
                "apiUrl": api_url(request),
                "authority": tokens.authority(),
                "grantToken": tokens.grant_token(request.user),
                "enableShareLinks": False,
                "allowLeavingGroups": False,
            }
        ],
        # for host-config.js only (the client ignores keys it does not know)
        "siteLinks": {
            "login": f"{reverse('login')}?next={back}",
            "signup": f"{reverse('signup')}?next={back}",
            "logout": reverse("logout"),
            "back": back,
        },
    }


def sidebar_config(request) -> dict:
    """The sidebar page's configuration (client:src/types/config.ts ``ConfigFromSidebar``)."""
    origin = f"{request.scheme}://{request.get_host()}"
    return {
        "apiUrl": api_url(request),
        "authDomain": tokens.authority(),
        "oauthClientId": tokens.CLIENT_ID,
        "rpcAllowedOrigins": [origin],
        "assetRoot": asset_root(request),
    }
