from django.db import models


class Tenant(models.Model):
    """A tenant of the engine, as the server knows it: its slug (subdomain / X-Tenant) and keys.

    ``admin_key`` is the engine API key (scope admin) made with the tenant; the server uses it
    to make per-user keys, so the engine's audit log names the acting user (``key:<prefix>``).
    ``app_key`` (scopes pos, read) runs customer-facing calls.
    """

    slug = models.SlugField(max_length=64, unique=True)
    engine_id = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    admin_key = models.CharField(max_length=128)
    app_key = models.CharField(max_length=128)
    program_id = models.CharField(max_length=64, blank=True, default="")
    seeded = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return self.slug
