"""The host application state machine: aliases, bdSeq deaths, sequence gaps and rebirth requests."""

from __future__ import annotations

from lotline.connectors.sparkplug import DataType, HostApplication, Metric, Payload, Raw, parse
from lotline.connectors.sparkplug.host import REBIRTH, Outcome

T = DataType


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def host(clock: Clock | None = None) -> HostApplication:
    return HostApplication(
        "scada", rebirth_interval=5.0, clock=clock or Clock(), now_ms=lambda: 1_700_000_000_000
    )


def nbirth(seq: int = 0, bd: int = 3) -> Payload:
    return Payload(
        timestamp=1000,
        seq=seq,
        metrics=(
            Metric("bdSeq", None, T.Int64, bd),
            Metric(REBIRTH, None, T.Boolean, False),
            Metric("Line/Speed", 1, T.Double, 0.0),
            Metric("Line/Count", 2, T.Int32, 0),
        ),
    )


def dbirth(seq: int) -> Payload:
    return Payload(
        timestamp=1001, seq=seq, metrics=(Metric("Temp", 10, T.Float, 20.0), Metric("Lot", 11, T.String, ""))
    )


def handle(h: HostApplication, topic: str, payload: Payload) -> Outcome:
    return h.handle(parse(topic), payload)


def test_births_learn_aliases_and_data_is_resolved_to_names() -> None:
    h = host()
    born = handle(h, "spBv1.0/G/NBIRTH/E", nbirth())
    assert (
        born.record is not None and born.record["online"] and born.record["bd_seq"] == 3 and not born.commands
    )
    handle(h, "spBv1.0/G/DBIRTH/E/D", dbirth(1))
    data = Payload(timestamp=2000, seq=2, metrics=(Metric(alias=1, value=Raw("double_value", 12.5)),))
    out = handle(h, "spBv1.0/G/NDATA/E", data)
    assert out.record is not None and not out.commands
    [metric] = out.record["metrics"]
    assert (metric["name"], metric["alias"], metric["datatype"], metric["value"]) == (
        "Line/Speed",
        1,
        "Double",
        12.5,
    )
    ddata = Payload(timestamp=2001, seq=3, metrics=(Metric(alias=2, value=Raw("int_value", 0xFFFFFFFF)),
                                                   Metric(alias=11, value=Raw("string_value", "L-42"))))  # fmt: skip
    rec = handle(h, "spBv1.0/G/DDATA/E/D", ddata).record
    assert rec is not None and rec["device_id"] == "D" and rec["message_type"] == "DDATA"
    assert [(m["name"], m["value"]) for m in rec["metrics"]] == [("Line/Count", -1), ("Lot", "L-42")]


def test_historical_metrics_are_flagged() -> None:
    h = host()
    handle(h, "spBv1.0/G/NBIRTH/E", nbirth())
    old = Payload(
        timestamp=5000,
        seq=1,
        metrics=(Metric(alias=1, value=Raw("double_value", 3.0), timestamp=10, is_historical=True),),
    )
    rec = handle(h, "spBv1.0/G/NDATA/E", old).record
    assert (
        rec is not None and rec["metrics"][0]["historical"] is True and rec["metrics"][0]["timestamp"] == 10
    )


def test_an_ndeath_with_the_births_bdseq_takes_node_and_devices_offline() -> None:
    h = host()
    handle(h, "spBv1.0/G/NBIRTH/E", nbirth(bd=7))
    handle(h, "spBv1.0/G/DBIRTH/E/D", dbirth(1))
    death = Payload(timestamp=3000, metrics=(Metric("bdSeq", None, T.Int64, 7),))
    rec = handle(h, "spBv1.0/G/NDEATH/E", death).record
    assert rec is not None and rec["online"] is False and rec["stale"] is False
    node = h.nodes[("G", "E")]
    assert not node.online and not node.devices["D"].online


def test_a_late_ndeath_of_an_older_session_is_stale_and_changes_nothing() -> None:
    h = host()
    handle(h, "spBv1.0/G/NBIRTH/E", nbirth(bd=8))
    old_death = Payload(timestamp=3000, metrics=(Metric("bdSeq", None, T.Int64, 7),))
    rec = handle(h, "spBv1.0/G/NDEATH/E", old_death).record
    assert rec is not None and rec["stale"] is True and rec["online"] is True
    assert h.nodes[("G", "E")].online


def test_sequence_numbers_wrap_at_255_without_a_gap() -> None:
    h = host()
    handle(h, "spBv1.0/G/NBIRTH/E", nbirth(seq=254))
    for seq in (255, 0, 1):
        out = handle(h, "spBv1.0/G/NDATA/E", Payload(timestamp=1, seq=seq))
        assert out.record is not None and out.record["seq_gap"] is None and not out.commands


def test_a_sequence_gap_requests_a_rebirth_at_most_once_per_interval() -> None:
    clock = Clock()
    h = host(clock)
    handle(h, "spBv1.0/G/NBIRTH/E", nbirth(seq=0))
    out = handle(h, "spBv1.0/G/NDATA/E", Payload(timestamp=1, seq=2))  # seq 1 went missing
    assert out.record is not None and out.record["seq_gap"] == {"expected": 1, "received": 2}
    assert out.record["rebirth_requested"]
    [command] = out.commands
    assert command.topic == "spBv1.0/G/NCMD/E"
    assert command.payload.metrics == (Metric(REBIRTH, None, T.Boolean, True),)
    assert not handle(h, "spBv1.0/G/NDATA/E", Payload(timestamp=1, seq=9)).commands, "rate limited"
    clock.now += 6
    assert handle(h, "spBv1.0/G/NDATA/E", Payload(timestamp=1, seq=20)).commands
    reborn = handle(h, "spBv1.0/G/NBIRTH/E", nbirth(seq=0, bd=4))
    assert reborn.record is not None and not reborn.commands
    assert not handle(h, "spBv1.0/G/NDATA/E", Payload(timestamp=1, seq=1)).commands


def test_data_from_a_node_never_seen_born_or_an_unknown_alias_requests_a_rebirth() -> None:
    h = host()
    out = handle(
        h,
        "spBv1.0/G/NDATA/E",
        Payload(timestamp=1, seq=5, metrics=(Metric(alias=1, value=Raw("double_value", 1.0)),)),
    )
    assert out.record is not None and out.commands
    assert out.record["metrics"][0]["name"] is None and out.record["metrics"][0]["value"] == 1.0
    h2 = host()
    handle(h2, "spBv1.0/G/NBIRTH/E", nbirth())
    unknown = handle(
        h2,
        "spBv1.0/G/NDATA/E",
        Payload(timestamp=1, seq=1, metrics=(Metric(alias=99, value=Raw("int_value", 1)),)),
    )
    assert unknown.commands


def test_state_and_commands_are_not_data() -> None:
    h = host()
    assert handle(h, "spBv1.0/STATE/other", Payload()).record is None
    assert handle(h, "spBv1.0/G/NCMD/E", Payload()).record is None
