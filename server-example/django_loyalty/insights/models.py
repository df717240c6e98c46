from django.db import models


class Feedback(models.Model):
    """A customer's free-text feedback, analysed by the engine's AI (``ai.feedback``)."""

    tenant = models.ForeignKey("loyalty_tenants.Tenant", on_delete=models.CASCADE)
    customer_id = models.CharField(max_length=64)
    text = models.CharField(max_length=5000)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
