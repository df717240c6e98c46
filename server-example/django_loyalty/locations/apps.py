from django.apps import AppConfig


class Config(AppConfig):
    name = "django_loyalty.locations"
    label = "loyalty_locations"
    default_auto_field = "django.db.models.BigAutoField"
