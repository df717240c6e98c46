from django.apps import AppConfig


class Config(AppConfig):
    name = "django_loyalty.core"
    label = "loyalty_core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import schema  # noqa: F401 (registers the OpenAPI authentication extensions)
