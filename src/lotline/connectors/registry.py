"""Find connector kinds: the `lotline.connectors` entry-point group, read into a Registry object.

No process-global registry: callers make a Registry (usually `Registry.discover()`) and pass it on, and
tests can build one from the specs they want.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from importlib.metadata import entry_points

from lotline.connectors.base import ConnectorSpec
from lotline.errors import LotlineError

GROUP = "lotline.connectors"


class UnknownConnector(LotlineError):
    """A configuration names a connector kind nobody registered."""


class MissingExtra(LotlineError):
    """A connector's client library is not installed; the message has the pip command that fixes it."""


def require(module: str, extra: str) -> None:
    """Fail with the install hint when an optional client library is missing. Call it in connect()."""
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise MissingExtra(f"this connector needs {module!r}: pip install 'lotline[{extra}]'")


class Registry:
    """Connector kinds by name."""

    def __init__(self, specs: Iterable[ConnectorSpec] = ()) -> None:
        self._specs: dict[str, ConnectorSpec] = {}
        for spec in specs:
            self.add(spec)

    @classmethod
    def discover(cls) -> Registry:
        """Every kind registered in the entry-point group, built-in or third-party."""
        specs: list[ConnectorSpec] = []
        for ep in entry_points(group=GROUP):
            spec = ep.load()
            if not isinstance(spec, ConnectorSpec):
                raise TypeError(f"entry point {ep.name} = {ep.value} is not a ConnectorSpec")
            specs.append(spec)
        return cls(specs)

    def add(self, spec: ConnectorSpec) -> None:
        if spec.kind in self._specs:
            raise ValueError(f"connector kind {spec.kind!r} is registered twice")
        self._specs[spec.kind] = spec

    def get(self, kind: str) -> ConnectorSpec:
        try:
            return self._specs[kind]
        except KeyError:
            known = ", ".join(sorted(self._specs)) or "none"
            raise UnknownConnector(f"unknown connector kind {kind!r}; known kinds: {known}") from None

    def __iter__(self) -> Iterator[ConnectorSpec]:
        return iter(sorted(self._specs.values(), key=lambda s: s.kind))

    def __len__(self) -> int:
        return len(self._specs)
