"""The back office: each module registers or serves one part of the admin.

- ``annotation``: the annotation change list and change form;
- ``moderation``: the moderation queue and bulk decisions;
- ``reanchor``: re-attaching annotations after a revision;
- ``article``: the article and revision admins, aware of annotations (registered over the articles app's);
- ``tags``: the tag admin;
- ``filters``: the change list's filters.
"""

from annotations.admin import annotation, article, moderation, reanchor, tags  # noqa: F401  (registers the model admins)
