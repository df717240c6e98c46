"""Engine errors and API errors to HTTP: the one place (DRF's EXCEPTION_HANDLER).

Every body is ``{"detail": <message>}``; an engine error adds ``code`` (the engine status) and,
when the engine named the offending input field, ``field`` plus the field-error form
``{"<field>": ["<message>"]}`` that DRF serializers use.
"""

import loyalty
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_handler

#: Engine status -> HTTP status.
HTTP_STATUS = {
    "invalid": status.HTTP_400_BAD_REQUEST,
    "not_found": status.HTTP_404_NOT_FOUND,
    "conflict": status.HTTP_409_CONFLICT,
    "insufficient": status.HTTP_409_CONFLICT,
    "out_of_stock": status.HTTP_409_CONFLICT,
    "limit": status.HTTP_409_CONFLICT,
    "forbidden": status.HTTP_403_FORBIDDEN,
    "unavailable": status.HTTP_503_SERVICE_UNAVAILABLE,
    "busy": status.HTTP_503_SERVICE_UNAVAILABLE,
}


def engine_error_response(err: loyalty.Error) -> Response:
    code = HTTP_STATUS.get(err.status, status.HTTP_500_INTERNAL_SERVER_ERROR)
    if code >= 500 and code != 503:
        body = {"detail": "internal error", "code": "error"}
    else:
        body = {"detail": err.message, "code": err.status}
        if err.field:
            body["field"] = err.field
            body.setdefault(err.field, [err.message])
        if err.detail:
            body["engine"] = {k: v for k, v in err.detail.items() if k != "field"}
    headers = {"Retry-After": "1"} if code == 503 else None
    return Response(body, status=code, headers=headers)


def exception_handler(exc, context):
    if isinstance(exc, loyalty.Error):
        return engine_error_response(exc)
    response = drf_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.ValidationError) and isinstance(response.data, dict):
        # Field errors keep DRF's form and gain a "detail" naming the first field.
        if "detail" not in response.data:
            first = next(iter(response.data), None)
            msg = response.data.get(first)
            if isinstance(msg, list) and msg:
                msg = msg[0]
            response.data = {"detail": f"{first}: {msg}", "field": first, **response.data}
    elif response is not None and isinstance(response.data, list):
        response.data = {"detail": " ".join(str(m) for m in response.data)}
    return response


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "conflict"
    default_code = "conflict"


def field_error(field: str, message: str) -> exceptions.ValidationError:
    return exceptions.ValidationError({field: [message]})
