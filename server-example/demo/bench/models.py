"""The peer of the load benchmark: the seed's design done plainly with the Django ORM."""

from django.db import models


class PlainAccount(models.Model):
    customer_id = models.CharField(max_length=64, unique=True)
    balance = models.BigIntegerField(default=0)
    lifetime_earned = models.BigIntegerField(default=0)


class PlainTransaction(models.Model):
    account = models.ForeignKey(PlainAccount, on_delete=models.CASCADE)
    order_id = models.CharField(max_length=64, unique=True)
    points = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
