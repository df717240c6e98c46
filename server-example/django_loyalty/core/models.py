from django.db import models


class IdempotencyRecord(models.Model):
    """The first answer to a POST sent with an ``Idempotency-Key`` (per tenant and principal)."""

    scope = models.CharField(max_length=200)
    key = models.CharField(max_length=200)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    body = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="loyalty_idem_unique")]
