"""A plain DRF earn by the ORM (transaction.atomic, insert a transaction row, update the
balance) and a balance read, behind the same authentication, throttles and settings as the
engine's endpoints. Mounted only when LOYALTY_BENCH=1."""

from django.db import IntegrityError, transaction
from django.db.models import F
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from .models import PlainAccount, PlainTransaction


class EarnIn(serializers.Serializer):
    customer_id = serializers.CharField(max_length=64)
    order_id = serializers.CharField(max_length=64)
    amount = serializers.IntegerField(min_value=0)


class OrmEarn(APIView):
    schema = None  # not part of the API
    roles = ("pos", "super_admin", "tenant_admin", "staff")

    def post(self, request):
        s = EarnIn(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        points = d["amount"] // 100
        try:
            with transaction.atomic():
                acct, _ = PlainAccount.objects.get_or_create(customer_id=d["customer_id"])
                tx = PlainTransaction.objects.create(account=acct, order_id=d["order_id"], points=points)
                PlainAccount.objects.filter(pk=acct.pk).update(balance=F("balance") + points,
                                                               lifetime_earned=F("lifetime_earned") + points)
                acct.refresh_from_db()
        except IntegrityError:
            tx = PlainTransaction.objects.select_related("account").get(order_id=d["order_id"])
            acct = tx.account
        return Response({"points": tx.points, "balance": acct.balance}, status=201)


class OrmBalance(APIView):
    schema = None
    roles = ("customer",)

    def get(self, request):
        acct, _ = PlainAccount.objects.get_or_create(customer_id=request.user.account.customer_id)
        return Response({"balance": acct.balance, "lifetime_earned": acct.lifetime_earned})
