"""The site's roles: Django groups and the permissions each holds.

Created by a data migration (``annotations/migrations/0002_roles.py``) and
re-applied on later changes (``accounts/migrations/0002_editors_revoke_api_tokens.py``); documented in the README.
"""

ANNOTATORS = "annotators"
TRUSTED_ANNOTATORS = "trusted annotators"
MODERATORS = "moderators"
EDITORS = "editors"

_ANNOTATE = ["annotations.add_annotation"]
_MODERATE = [
    "annotations.view_annotation",
    "annotations.add_annotation",
    "annotations.change_annotation",
    "annotations.moderate_annotation",
    "annotations.view_evidence",
    "annotations.add_evidence",
    "annotations.change_evidence",
    "annotations.delete_evidence",
    "annotations.view_tag",
    "articles.view_article",
    "articles.view_source",
    "articles.view_block",
]
_EDIT = _MODERATE + [
    "annotations.add_tag",
    "annotations.change_tag",
    "articles.add_article",
    "articles.change_article",
    "articles.delete_article",
    "articles.add_source",
    "articles.change_source",
    "articles.add_block",
    "articles.change_block",
    # API tokens: see and revoke anyone's (accounts/admin.py)
    "accounts.view_apitoken",
    "accounts.change_apitoken",
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    ANNOTATORS: _ANNOTATE,
    TRUSTED_ANNOTATORS: _ANNOTATE,
    MODERATORS: _MODERATE,
    EDITORS: _EDIT,
}


def ensure_roles(group_model, permission_model) -> None:
    """Create the groups and give each exactly its permissions (idempotent).

    Takes the models so the data migration can pass its historical ones.
    """
    for name, codenames in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=name)
        perms = []
        for dotted in codenames:
            app_label, codename = dotted.split(".")
            found = permission_model.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if found is None and not permission_model.objects.filter(content_type__app_label=app_label).exists():
                # an app whose models a later migration creates (on a fresh database annotations 0002 may run
                # before accounts 0001): that app's own migration applies the roles again
                continue
            if found is None:
                raise permission_model.DoesNotExist(f"No permission {dotted}.")
            perms.append(found)
        group.permissions.set(perms)
