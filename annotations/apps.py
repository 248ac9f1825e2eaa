from django.apps import AppConfig


class AnnotationsConfig(AppConfig):
    name = "annotations"
    verbose_name = "Annotations and fact-checks"

    def ready(self) -> None:
        from annotations.services.reanchoring import reanchor_after_revision
        from articles.hooks import register_revision_hook

        # a revision of an article's text re-anchors its annotations, in the revision's transaction
        register_revision_hook(reanchor_after_revision)
