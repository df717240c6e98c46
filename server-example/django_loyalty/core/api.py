"""Shared view machinery: the base view, page-number pagination over engine lists, the
``Idempotency-Key`` replay store, and the OpenAPI pieces every endpoint documents."""

import functools
import hashlib
import json

from django.db import IntegrityError, transaction
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from . import catalogue, security
from .errors import Conflict
from .models import IdempotencyRecord
from .pagination import Pagination

ERROR_SCHEMA = {
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "field": {"type": "string"},
    },
    "additionalProperties": True,
}


def errors(*codes):
    text = {
        400: "invalid input (`field` names it)",
        401: "not authenticated, or the token is expired or revoked",
        403: "the role or tenant may not do this",
        404: "not found in this tenant",
        409: "conflict (insufficient points, out of stock, limit, idempotency key reused)",
        429: "throttled",
        503: "the engine is busy or a provider unavailable; retry",
    }
    return {c: OpenApiResponse(ERROR_SCHEMA, description=text[c]) for c in codes}


STD = (400, 401, 403, 429)
STD_ID = (400, 401, 403, 404, 429)

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Replays the first answer for the same key and body; another body with the same key is 409.",
)
TENANT_HEADER = OpenApiParameter(
    "X-Tenant", str, OpenApiParameter.HEADER, required=False, description="The tenant's slug (or use its subdomain)."
)


def op_schema(op, *, drop=(), ok=200, response=None, codes=STD_ID, idempotent=False, request=True, summary=None, **kw):
    """``extend_schema`` for an endpoint passing the engine operation ``op`` through."""
    params = [TENANT_HEADER] + ([IDEMPOTENCY_HEADER] if idempotent else []) + kw.pop("parameters", [])
    return extend_schema(
        request={"application/json": catalogue.request(op, drop=drop)} if request else None,
        responses={ok: response if response is not None else catalogue.response(op), **errors(*codes)},
        description=(summary + "\n\n" if summary else "") + f"Engine operation `{op}`: " + catalogue.doc(op),
        parameters=params,
        **kw,
    )




PAGE_PARAMS = [
    OpenApiParameter("page", int, OpenApiParameter.QUERY, required=False),
    OpenApiParameter("page_size", int, OpenApiParameter.QUERY, required=False),
]


class EngineView(APIView):
    """A view over the engine; ``roles`` says who may call it (see core.security)."""

    roles = None

    def session(self):
        return security.session_for(self.request)

    def call(self, op, inp=None, **fields):
        return self.session().call(op, inp or {}, **fields)

    def body(self, *, drop=(), set=None):
        data = self.request.data
        if not isinstance(data, dict):
            raise exceptions.ValidationError({"non_field_errors": ["a JSON object is expected"]})
        data = dict(data)
        for f in drop:
            if f in data:
                raise exceptions.ValidationError({f: ["this field is set by the server"]})
        if set:
            data.update(set)
        return data

    def page(self, items):
        paginator = Pagination()
        page = paginator.paginate_queryset(items, self.request, view=self)
        return paginator.get_paginated_response(page)

    def get_object_or_404(self, op, id, field="id"):
        return self.call(op, {field: id})


def _hash(request):
    body = request.data if isinstance(request.data, (dict, list)) else str(request.data)
    text = json.dumps([request.method, request.path, body], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def idempotent(handler):
    """Wraps a POST handler: with an ``Idempotency-Key`` header the first answer is stored and
    replayed for the same key and body; the same key with another body is 409. The key is also
    handed to the engine (``self.idempotency_key``) so the operation itself runs exactly once."""

    @functools.wraps(handler)
    def wrapper(self, request, *args, **kwargs):
        key = request.headers.get("Idempotency-Key")
        self.idempotency_key = None
        if not key:
            return handler(self, request, *args, **kwargs)
        if len(key) > 128:
            raise exceptions.ValidationError({"Idempotency-Key": ["at most 128 characters"]})
        tenant = getattr(request, "tenant", None)
        scope = f"{tenant.slug if tenant else '-'}:{security.principal_key(request)}"
        digest = _hash(request)
        self.idempotency_key = f"http-{hashlib.sha256((scope + ':' + key).encode()).hexdigest()[:40]}"
        rec = IdempotencyRecord.objects.filter(scope=scope, key=key).first()
        if rec is not None:
            return _replay(rec, digest)
        response = handler(self, request, *args, **kwargs)
        if response.status_code < 500:
            try:
                with transaction.atomic():
                    IdempotencyRecord.objects.create(
                        scope=scope, key=key, request_hash=digest, status_code=response.status_code, body=response.data
                    )
            except IntegrityError:
                rec = IdempotencyRecord.objects.filter(scope=scope, key=key).first()
                if rec is not None:
                    return _replay(rec, digest)
        return response

    return wrapper


def _replay(rec, digest):
    if rec.request_hash != digest:
        raise Conflict("this Idempotency-Key was used with another request")
    return Response(rec.body, status=rec.status_code, headers={"Idempotent-Replayed": "true"})


OK = status.HTTP_200_OK
CREATED = status.HTTP_201_CREATED
