from django.apps import AppConfig


class Config(AppConfig):
    name = "django_loyalty.core"
    label = "loyalty_core"
    default_auto_field = "django.db.models.BigAutoField"
