"""Config -> client options, TLS contexts, topic filter validation and message ids (no broker needed)."""

from __future__ import annotations

import ssl
import subprocess
from pathlib import Path

import pytest
from pydantic import ValidationError

from lotline.connectors import Registry
from lotline.connectors.mqtt import SPEC, MqttConfig, MqttSink, MqttSource, message_id
from lotline.connectors.mqtt_options import TlsOptions


def test_defaults_give_a_persistent_mqtt5_session_with_flow_control() -> None:
    o = MqttConfig(client_id="line-1", topics=["a/#"]).client_options()
    assert (o.host, o.port, o.client_id, o.mqtt5, o.clean_start) == ("127.0.0.1", 1883, "line-1", True, False)
    assert o.session_expiry == 604_800 and o.receive_maximum == 100
    assert o.tls is None and o.username is None and o.reconnect_delay == (1, 60)


def test_clean_start_and_mqtt311_drop_the_mqtt5_only_options() -> None:
    assert MqttConfig(client_id="c", clean_start=True).client_options().session_expiry is None
    o = MqttConfig(client_id="c", protocol="3.1.1").client_options()
    assert not o.mqtt5 and o.session_expiry is None and o.receive_maximum is None and not o.clean_start


def test_credentials_and_client_certificate_map_to_client_options(tmp_path: Path) -> None:
    cfg = MqttConfig(
        client_id="c",
        port=8883,
        username="lotline",
        password="s3cret",
        ca_file=tmp_path / "ca.pem",
        cert_file=tmp_path / "client.pem",
        key_file=tmp_path / "client.key",
    )
    o = cfg.client_options(client_id="c-sink")
    assert (o.client_id, o.username, o.password) == ("c-sink", "lotline", "s3cret")
    assert o.tls == TlsOptions(tmp_path / "ca.pem", tmp_path / "client.pem", tmp_path / "client.key", False)
    assert "s3cret" not in repr(cfg), "the password is a secret in reprs and logs"
    assert MqttConfig(client_id="c", tls=True).client_options().tls == TlsOptions()


@pytest.mark.parametrize(
    ("fields", "complaint"),
    [
        ({"password": "x"}, "password is set but username is not"),
        ({"key_file": "k.pem"}, "key_file is set but cert_file is not"),
        ({"reconnect_min_delay": 10, "reconnect_max_delay": 5}, "reconnect_min_delay"),
        ({"topics": ["a/#/b"]}, "not a valid MQTT topic filter"),
        ({"topics": ["a/b+"]}, "not a valid MQTT topic filter"),
        ({"qos": 2}, "qos"),
        ({"unknown": 1}, "unknown"),
    ],
)
def test_inconsistent_configs_are_refused_with_the_reason(fields: dict[str, object], complaint: str) -> None:
    with pytest.raises(ValidationError, match=complaint):
        MqttConfig(client_id="c", **fields)  # type: ignore[arg-type]


def test_every_option_is_documented() -> None:
    from lotline.connectors.sparkplug import SparkplugConfig

    for model in (MqttConfig, SparkplugConfig):
        for name, f in model.model_fields.items():
            assert f.description, f"{model.__name__}.{name} has no description"


def test_sparkplug_ids_cannot_contain_topic_separators_or_wildcards() -> None:
    from lotline.connectors.sparkplug import SparkplugConfig

    for bad in (
        {"host_id": "a/b"},
        {"host_id": "h", "group_ids": ["G#"]},
        {"host_id": "h", "group_ids": [""]},
    ):
        with pytest.raises(ValidationError):
            SparkplugConfig(client_id="c", **bad)  # type: ignore[arg-type]


def test_a_source_needs_topics() -> None:
    with pytest.raises(ValueError, match="at least one topic filter"):
        MqttSource(MqttConfig(client_id="c"))


def test_the_specs_register_in_the_entry_point_group() -> None:
    from lotline.connectors import sparkplug

    registry = Registry.discover()
    assert registry.get("mqtt") is SPEC and SPEC.source is MqttSource and SPEC.sink is MqttSink
    assert registry.get("sparkplug") is sparkplug.SPEC and SPEC.extra == "mqtt"


def test_the_modules_import_without_the_client_libraries() -> None:
    code = (
        "import sys; import lotline.connectors.mqtt, lotline.connectors.sparkplug; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('paho', 'google', 'aiomqtt')]; "
        "assert not bad, bad"
    )
    subprocess.run([__import__("sys").executable, "-c", code], check=True)


def test_message_ids_prefer_the_publishers_id_then_a_json_field_then_a_digest() -> None:
    cfg = MqttConfig(client_id="c", id_property="message-id", id_field="eventId")
    assert message_id(cfg, "t", b"{}", {"message-id": "abc"}) == "abc"
    assert message_id(cfg, "t", b'{"eventId": 42}', {}) == "t#42"
    digest = message_id(cfg, "t", b'{"other": 1}', {})
    assert digest.startswith("blake2b:") and digest == message_id(cfg, "t", b'{"other": 1}', {})
    assert digest != message_id(cfg, "u", b'{"other": 1}', {}), "the topic is part of the digest"
    assert message_id(cfg, "t", b"not json", {}).startswith("blake2b:")


def _self_signed(tmp_path: Path, name: str) -> tuple[Path, Path]:
    cert, key = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", f"/CN={name}",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def test_tls_contexts_verify_the_broker_and_carry_the_client_certificate(tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path, "client")
    ctx = TlsOptions(ca_file=cert, cert_file=cert, key_file=key).context()
    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
    assert not TlsOptions(ca_file=cert, insecure=True).context().check_hostname


def test_the_docs_example_config_is_valid() -> None:
    import re

    import yaml

    from lotline.connectors.sparkplug import SparkplugConfig

    text = (Path(__file__).resolve().parents[3] / "docs" / "mqtt.md").read_text()
    example = yaml.safe_load(re.search(r"```yaml\n(.*?)```", text, re.S).group(1))  # type: ignore[union-attr]
    models = {"mqtt": MqttConfig, "sparkplug": SparkplugConfig}
    assert [c["kind"] for c in example["connectors"]] == ["mqtt", "sparkplug"]
    for connector in example["connectors"]:
        models[connector["kind"]].model_validate(connector["options"])
