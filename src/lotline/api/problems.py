"""RFC 9457 problem details (`application/problem+json`): every error response the API gives."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

PROBLEM_JSON = "application/problem+json"

# EPCIS 2.0 REST binding exception types (openapi.yaml, components/responses).
VALIDATION = "epcisException:ValidationException"
QUERY_PARAMETER = "epcisException:QueryParameterException"
NO_SUCH_RESOURCE = "epcisException:NoSuchResourceException"
CAPTURE_LIMIT = "epcisException:CaptureLimitExceededException"
QUERY_TOO_LARGE = "epcisException:QueryTooLargeException"
SECURITY = "epcisException:SecurityException"
IMPLEMENTATION = "epcisException:ImplementationException"
NOT_ACCEPTABLE = "epcisException:NotAcceptableException"
UNSUPPORTED_MEDIA = "epcisException:UnsupportedMediaTypeException"
METHOD_NOT_ALLOWED = "epcisException:MethodNotAllowedException"
CONFLICT = "epcisException:ConflictException"


def problem(
    status: int,
    type_: str,
    title: str,
    detail: str | None = None,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> Response:
    body: dict[str, Any] = {"type": type_, "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update({k: v for k, v in extensions.items() if v is not None})
    return Response(orjson.dumps(body), status_code=status, media_type=PROBLEM_JSON, headers=headers)
