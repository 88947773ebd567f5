"""The errors of the ERP connectors.

LotlineError
└── ErpError                 base of everything an ERP connector raises on purpose
    ├── ErpUnavailable       (also ConnectionError, so the retry wrapper treats it as transient) the ERP did
    │                        not answer, answered 429 or 5xx; `retry_after` carries its Retry-After hint
    ├── ErpAuthError         credentials refused even after a refresh (expired key, wrong secret): fix config
    └── ErpRejected          the ERP refused this one document (validation, missing order, locked lot):
        │                    a per-key failure; retrying the same payload will not help
        └── ErpSchemaError   the ERP's payload schema is not the one the connector speaks (a renamed or
                             removed field); `field` names it
"""

from __future__ import annotations

from lotline.errors import LotlineError


class ErpError(LotlineError):
    """Base of the ERP connectors' errors."""


class ErpUnavailable(ErpError, ConnectionError):
    """The ERP is not there right now (network, 429, 5xx). Transient: the wrappers retry it."""

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class ErpAuthError(ErpError):
    """The ERP refused the credentials, also after re-reading or refreshing them."""


class ErpRejected(ErpError):
    """The ERP refused one document; the message says what the ERP said."""


class ErpSchemaError(ErpRejected):
    """The ERP's payload schema differs from the one the connector speaks: `field` is the culprit."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field
