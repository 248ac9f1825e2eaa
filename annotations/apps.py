from django.apps import AppConfig


class AnnotationsConfig(AppConfig):
    name = "annotations"
    verbose_name = "Annotations and fact-checks"

    def ready(self) -> None:
        from annotations.services.reanchoring import reanchor_after_revision
        from articles.hooks import register_revision_hook

        # a revision of an article's text re-anchors its annotations, in the revision's transaction
        register_revision_hook(reanchor_after_revision)

        from django.db.models.signals import post_delete, post_save

        from annotations.caching import bump_article
        from articles.models import Article, Source

        # an article or its source details saved or deleted by any path (admin, import, shell): its cached
        # pages are stale, the whole anonymous page included (annotations/page_cache.py)
        def article_changed(sender, instance, **kwargs):
            bump_article(instance.pk)

        def source_changed(sender, instance, **kwargs):
            bump_article(instance.article_id)

        for signal in (post_save, post_delete):
            signal.connect(article_changed, sender=Article, dispatch_uid=f"bump-article-{signal is post_save}")
            signal.connect(source_changed, sender=Source, dispatch_uid=f"bump-source-{signal is post_save}")
