"""Errors of the OPC UA connector.

LotlineError
└── OpcuaError        the server cannot be used as configured (unreachable, refused, unknown node, ...)
    └── SessionLost   a working session died (server restart, network); the source reconnects
"""

from __future__ import annotations

from lotline.errors import LotlineError


class OpcuaError(LotlineError):
    """The OPC UA server cannot be used as configured; the message says what to look at."""


class SessionLost(OpcuaError):
    """The session or its subscription died; the source reconnects and resubscribes."""
