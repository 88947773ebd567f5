"""CBV 2.0 vocabularies: the three spellings of a standard value, and the lists against GS1's own context."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest

from lotline.epcis.vocab import (
    BIZ_STEPS,
    BIZ_TRANSACTION_TYPES,
    COMPONENTS,
    DISPOSITIONS,
    ERROR_REASONS,
    KINDS,
    MEASUREMENT_TYPES,
    SENSOR_ALERT_TYPES,
    SOURCE_DEST_TYPES,
    is_cbv,
    short_cbv,
    urn_cbv,
    web_cbv,
)
from tests.conftest import GS1

# kind, bare, URN, web URI
SPELLINGS = [
    ("bizStep", "shipping", "urn:epcglobal:cbv:bizstep:shipping", "https://ref.gs1.org/cbv/BizStep-shipping"),
    (
        "disposition",
        "in_transit",
        "urn:epcglobal:cbv:disp:in_transit",
        "https://ref.gs1.org/cbv/Disp-in_transit",
    ),
    ("bizTransactionType", "po", "urn:epcglobal:cbv:btt:po", "https://ref.gs1.org/cbv/BTT-po"),
    (
        "sourceDestType",
        "owning_party",
        "urn:epcglobal:cbv:sdt:owning_party",
        "https://ref.gs1.org/cbv/SDT-owning_party",
    ),
    (
        "errorReason",
        "incorrect_data",
        "urn:epcglobal:cbv:er:incorrect_data",
        "https://ref.gs1.org/cbv/ER-incorrect_data",
    ),
]


@pytest.mark.parametrize(("kind", "bare", "urn", "web"), SPELLINGS, ids=[s[0] for s in SPELLINGS])
def test_every_spelling_converts_to_every_other(kind: str, bare: str, urn: str, web: str) -> None:
    curie = "cbv:" + web.rsplit("/", 1)[1]
    for spelling in (bare, urn, web, curie):
        assert short_cbv(kind, spelling) == bare
        assert web_cbv(kind, spelling) == web
        assert urn_cbv(kind, spelling) == urn
        assert is_cbv(kind, spelling)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_values_outside_the_standard_pass_through(kind: str) -> None:
    for value in ("https://example.com/steps/baking", "baking", "urn:example:step:baking", ""):
        assert short_cbv(kind, value) == value
        assert web_cbv(kind, value) == value
        assert urn_cbv(kind, value) == value
        assert not is_cbv(kind, value)


def test_a_value_of_another_vocabulary_is_not_standard_for_this_one() -> None:
    assert not is_cbv("bizStep", "in_transit")
    shipping = "urn:epcglobal:cbv:bizstep:shipping"
    assert short_cbv("disposition", shipping) == shipping
    # a non-standard value in the CBV URN namespace is not turned into a bare word
    assert short_cbv("bizStep", "urn:epcglobal:cbv:bizstep:baking") == "urn:epcglobal:cbv:bizstep:baking"


def test_values_are_case_sensitive() -> None:
    assert not is_cbv("bizStep", "Shipping")
    assert short_cbv("bizStep", "SHIPPING") == "SHIPPING"


def test_sensor_vocabularies_live_in_the_gs1_and_cbv_web_namespaces() -> None:
    assert web_cbv("measurementType", "Temperature") == "https://gs1.org/voc/Temperature"
    assert short_cbv("measurementType", "gs1:Temperature") == "Temperature"
    assert short_cbv("measurementType", "https://gs1.org/voc/Temperature") == "Temperature"
    assert web_cbv("sensorAlertType", "ALARM_CONDITION") == "https://gs1.org/voc/ALARM_CONDITION"
    assert web_cbv("component", "cbv:Comp-latitude") == "https://ref.gs1.org/cbv/Comp-latitude"
    assert urn_cbv("component", "x") == "https://ref.gs1.org/cbv/Comp-x"  # no URN form: the web URI


def test_unknown_kind_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown CBV vocabulary kind 'bizstep'.*bizStep"):
        short_cbv("bizstep", "shipping")


@cache
def _gs1_context() -> dict[str, Any]:
    document = json.loads((GS1 / "epcis-context.jsonld").read_text(encoding="utf-8"))
    context: dict[str, Any] = document["@context"]
    return context


def _terms(scoped: dict[str, Any]) -> set[str]:
    return {term for term in scoped if not term.startswith("@") and term not in ("epcis", "cbv", "gs1")}


def test_lists_match_the_gs1_epcis_context() -> None:
    c = _gs1_context()
    report = c["sensorElementList"]["@context"]["sensorReport"]["@context"]
    assert _terms(c["bizStep"]["@context"]) == BIZ_STEPS
    assert _terms(c["disposition"]["@context"]) == DISPOSITIONS
    assert _terms(c["bizTransactionList"]["@context"]["type"]["@context"]) == BIZ_TRANSACTION_TYPES
    assert _terms(c["sourceList"]["@context"]["type"]["@context"]) == SOURCE_DEST_TYPES
    assert _terms(c["errorDeclaration"]["@context"]["reason"]["@context"]) == ERROR_REASONS
    assert _terms(report["type"]["@context"]) == MEASUREMENT_TYPES
    assert _terms(report["exception"]["@context"]) == SENSOR_ALERT_TYPES
    assert _terms(report["component"]["@context"]) == COMPONENTS


def test_web_uris_match_the_gs1_epcis_context() -> None:
    c = _gs1_context()
    prefixes = {"cbv": "https://ref.gs1.org/cbv/", "gs1": "https://gs1.org/voc/"}
    report = c["sensorElementList"]["@context"]["sensorReport"]["@context"]
    for kind, scoped in (
        ("bizStep", c["bizStep"]["@context"]),
        ("disposition", c["disposition"]["@context"]),
        ("bizTransactionType", c["bizTransactionList"]["@context"]["type"]["@context"]),
        ("sourceDestType", c["sourceList"]["@context"]["type"]["@context"]),
        ("errorReason", c["errorDeclaration"]["@context"]["reason"]["@context"]),
        ("measurementType", report["type"]["@context"]),
        ("component", report["component"]["@context"]),
    ):
        for term in _terms(scoped):
            prefix, _, local = scoped[term].partition(":")
            assert web_cbv(kind, term) == prefixes[prefix] + local, (kind, term)
