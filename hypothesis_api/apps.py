from django.apps import AppConfig


class HypothesisApiConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "hypothesis_api"
    verbose_name = "Hypothesis client API"
