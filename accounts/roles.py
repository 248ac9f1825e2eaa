"""The site's roles: Django groups and the permissions each holds.

Created by a data migration (``annotations/migrations/0002_roles.py``) and
re-applied by it on later changes; documented in the README.
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
            perms.append(permission_model.objects.get(content_type__app_label=app_label, codename=codename))
        group.permissions.set(perms)
