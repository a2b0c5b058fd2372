"""Errors that carry their HTTP status and a stable machine-readable code.

Plain Python on purpose: the domain raises them, one handler in `http/errors.py` renders them.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    field: str | None = None


class ServiceError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.problems = [Problem(code or self.code, message, field)]
        self.headers: dict[str, str] = {}


class BadRequest(ServiceError):
    status_code = 400
    code = "bad_request"


class Unauthorized(ServiceError):
    status_code = 401
    code = "unauthorized"

    def __init__(
        self,
        message: str = "Authentication required: send a Bearer token or HTTP Basic email:token.",
    ) -> None:
        super().__init__(message)
        self.headers = {
            "WWW-Authenticate": 'Bearer realm="payments-service", Basic realm="payments-service"'
        }


class Forbidden(ServiceError):
    status_code = 403
    code = "forbidden"


class NotFound(ServiceError):
    status_code = 404
    code = "not_found"


class NotAcceptable(ServiceError):
    status_code = 406
    code = "not_acceptable"


class Conflict(ServiceError):
    status_code = 409
    code = "conflict"

    def __init__(self, message: str, *, code: str | None = None, retry_after: int = 1) -> None:
        super().__init__(message, code=code)
        self.headers = {"Retry-After": str(retry_after)}


class PayloadTooLarge(ServiceError):
    status_code = 413
    code = "payload_too_large"


class UnsupportedMediaType(ServiceError):
    status_code = 415
    code = "unsupported_media_type"


class Unprocessable(ServiceError):
    """422: the request is well-formed but breaks a rule; may list several problems."""

    status_code = 422
    code = "invalid"

    @classmethod
    def of(cls, problems: list[Problem]) -> "Unprocessable":
        error = cls(problems[0].message)
        error.problems = problems
        return error


class ServiceUnavailable(ServiceError):
    status_code = 503
    code = "unavailable"

    def __init__(self, message: str, *, code: str | None = None, retry_after: int = 1) -> None:
        super().__init__(message, code=code)
        self.headers = {"Retry-After": str(retry_after)}


class RateLimited(ServiceUnavailable):
    """503 as Harvest v1 answered a rate-limited request; /v2 answers 429 (see v2/errors.py)."""

    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, retry_after=retry_after)
