"""The back office: each module registers or serves one part of the admin.

- ``annotation``: the annotation change list and change form;
- ``moderation``: the moderation queue and bulk decisions;
- ``reanchor``: re-attaching annotations after a revision;
"""

from annotations.admin import annotation, moderation, reanchor  # noqa: F401  (registers the model admins)
