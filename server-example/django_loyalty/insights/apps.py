from django.apps import AppConfig


class Config(AppConfig):
    name = "django_loyalty.insights"
    label = "loyalty_insights"
    default_auto_field = "django.db.models.BigAutoField"
