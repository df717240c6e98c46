from django.apps import AppConfig


class Config(AppConfig):
    name = "django_loyalty.programs"
    label = "loyalty_programs"
    default_auto_field = "django.db.models.BigAutoField"
