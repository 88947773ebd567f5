"""Every exception lotline raises on purpose.

LotlineError
├── DocumentError          the request body is not a readable EPCIS document (JSON or XML syntax, shape)
├── ValidationError        an event or document breaks the GS1 schema or an EPCIS/CBV rule
├── IdentifierError        an identifier cannot be parsed or converted
├── QueryError             a query parameter is unknown or malformed
├── NotFound               a requested resource does not exist
├── StateConflict          the resource exists but its state forbids the operation (replay a discarded letter)
├── DuplicateEvent         an event whose hash is already stored
├── MappingError           a mapping file is invalid, or mapping a message failed (which mapping, where, why)
├── ConfigError            a configuration file is invalid (every problem with its file:line:col and field)
└── AuthError              missing, unknown or revoked API key (401)
    └── ScopeError         a valid key without the scope the operation needs (403)
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem found in an input: where (a JSON pointer or field name) and what to fix."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class LotlineError(Exception):
    """Base of all lotline errors."""


class DocumentError(LotlineError):
    """The body cannot be read as an EPCIS document."""


@dataclass
class ValidationError(LotlineError):
    """An event or a document is not valid EPCIS 2.0."""

    issues: list[Issue] = field(default_factory=list)

    def __str__(self) -> str:
        return "; ".join(str(i) for i in self.issues) or "invalid"


class IdentifierError(LotlineError, ValueError):
    """An identifier cannot be parsed or converted."""


class QueryError(LotlineError):
    """A query parameter is unknown or malformed."""


class NotFound(LotlineError):
    """The requested resource does not exist."""


class StateConflict(LotlineError):
    """The resource exists, but its state forbids the operation (409)."""


class DuplicateEvent(LotlineError):
    """The event is already stored (same canonical event hash)."""


class MappingError(LotlineError):
    """A mapping file is invalid (`location` is its file:line:column), or mapping a message failed
    (`mapping`, `rule` and `field` say which output and which field, `location` where it is written)."""

    def __init__(
        self,
        message: str,
        *,
        mapping: str | None = None,
        rule: str | None = None,
        field: str | None = None,
        location: str | None = None,
    ) -> None:
        super().__init__(message)
        self.mapping, self.rule, self.field, self.location = mapping, rule, field, location


class ConfigError(LotlineError):
    """A configuration file is invalid: `problems` lists each one as `file:line:col: field: what to fix`."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class AuthError(LotlineError):
    """Missing, unknown or revoked API key."""


class ScopeError(AuthError):
    """The API key lacks the scope the operation needs."""
