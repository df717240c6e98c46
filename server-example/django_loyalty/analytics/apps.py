from django.apps import AppConfig


class Config(AppConfig):
    name = "django_loyalty.analytics"
    label = "loyalty_analytics"
    default_auto_field = "django.db.models.BigAutoField"
