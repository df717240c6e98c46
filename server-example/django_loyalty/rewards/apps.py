from django.apps import AppConfig


class Config(AppConfig):
    name = "django_loyalty.rewards"
    label = "loyalty_rewards"
    default_auto_field = "django.db.models.BigAutoField"
