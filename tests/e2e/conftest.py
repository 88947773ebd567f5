"""The end-to-end tests run on SQLite and on PostgreSQL (the `engine` fixture of tests/conftest.py) and need
the real Mosquitto (LOTLINE_TEST_MQTT_URL, default mqtt://127.0.0.1:1883): unreachable, they skip with the
reason, or fail when LOTLINE_REQUIRE_SERVICES=1. The ERPs are the contract fakes of tests/fakes, served on
loopback ports."""

from __future__ import annotations

from tests.connectors.mqtt.conftest import broker, prefix

__all__ = ["broker", "prefix"]
