"""EPC URN <-> GS1 Digital Link: one identity key per object, helpful errors, EPC patterns as SQL LIKE.

The expected Digital Links below are the ones the CBV 2.0 event-hash reference implementation produces for
the same URNs (its vector epcisDocWithAllGS1Keys and friends), so they are not derived from our own code.
"""

from __future__ import annotations

import re
import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lotline.epcis.epc_urn import to_epc_urn
from lotline.epcis.hashing import prehash
from lotline.epcis.identifiers import (
    _AGREED,
    _dl_to_dl,
    _fast,
    _identity_key,
    _urn_to_dl,
    common_digital_link,
    forget_remembered,
    hash_canonical,
    identity_key,
    idpat_like,
    to_digital_link,
)
from lotline.errors import IdentifierError

D = "https://id.gs1.org/"

# (EPC URI, canonical Digital Link, company prefix length for the way back)
SCHEMES = [
    ("urn:epc:id:sgtin:4012345.012345.12", D + "01/04012345123456/21/12", 7),
    ("urn:epc:id:sscc:4012345.0000000333", D + "00/040123450000003338", 7),
    ("urn:epc:id:sgln:4012345.00011.987", D + "414/4012345000115/254/987", 7),
    ("urn:epc:id:sgln:0012345.11111.0", D + "414/0012345111112", 7),
    ("urn:epc:id:grai:4012345.66666.87", D + "8003/0401234566666387", 7),
    ("urn:epc:id:giai:4012345.AAbb", D + "8004/4012345AAbb", 7),
    ("urn:epc:id:gsrn:4012345.9876540000", D + "8018/401234598765400000", 7),
    ("urn:epc:id:gsrnp:4012345.0000098765", D + "8017/401234500000987658", 7),
    ("urn:epc:id:gdti:4012345.55555.98", D + "253/401234555555498", 7),
    ("urn:epc:id:cpi:4012345.ABC.123", D + "8010/4012345ABC/8011/123", 7),
    ("urn:epc:id:sgcn:4012345.99999.44", D + "255/401234599999044", 7),
    ("urn:epc:id:ginc:4012345.333", D + "401/4012345333", 7),
    ("urn:epc:id:gsin:4012345.999987654", D + "402/40123459999876541", 7),
    ("urn:epc:id:itip:4012345.012345.01.02.999", D + "8006/040123451234560102/21/999", 7),
    ("urn:epc:id:upui:4012345.012345.AB12", D + "01/04012345123456/235/AB12", 7),
    ("urn:epc:id:pgln:5200001.00000", D + "417/5200001000008", 7),
    ("urn:epc:class:lgtin:4054739.099914.20160711", D + "01/04054739999148/10/20160711", 7),
    ("urn:epc:idpat:sgtin:4054739.099914.*", D + "01/04054739999148", 7),
    ("urn:epc:idpat:grai:4012345.66666.*", D + "8003/04012345666663", 7),
    ("urn:epc:idpat:gdti:4012345.55555.*", D + "253/4012345555554", 7),
    ("urn:epc:idpat:sgcn:4012345.99999.*", D + "255/4012345999990", 7),
    ("urn:epc:idpat:cpi:4012345.ABC.*", D + "8010/4012345ABC", 7),
    ("urn:epc:idpat:itip:4012345.012345.01.02.*", D + "8006/040123451234560102", 7),
    ("urn:epc:id:sgtin:0614141.107346.2017", D + "01/10614141073464/21/2017", 7),
    ("urn:epc:id:sgtin:061414.1107346.1", D + "01/10614141073464/21/1", 6),
    ("urn:epc:id:sgtin:061414107346.1.1", D + "01/10614141073464/21/1", 12),
    ("urn:epc:id:sgtin:0614141.107346.A%2FB!", D + "01/10614141073464/21/A%2FB%21", 7),
]


def _id(case: tuple[str, str, int]) -> str:
    return case[0].removeprefix("urn:epc:")


@pytest.mark.parametrize(("urn", "dl", "gcp"), SCHEMES, ids=[_id(c) for c in SCHEMES])
def test_urn_and_digital_link_of_one_object_share_the_identity_key(urn: str, dl: str, gcp: int) -> None:
    assert to_digital_link(urn) == dl
    assert to_digital_link(dl) == dl
    assert identity_key(urn) == identity_key(dl) == dl
    assert hash_canonical(urn) == dl


@pytest.mark.parametrize(("urn", "dl", "gcp"), SCHEMES, ids=[_id(c) for c in SCHEMES])
def test_digital_link_converts_back_to_the_epc_uri(urn: str, dl: str, gcp: int) -> None:
    assert to_epc_urn(dl, gcp) == urn
    assert to_epc_urn(urn) == urn  # a URN is kept as it is
    assert to_epc_urn(dl) is None  # without the company prefix length the caller keeps the Digital Link


@pytest.mark.parametrize(
    "variant",
    [
        "https://id.gs1.org/01/10614141073464/21/2017",
        "http://id.gs1.org/01/10614141073464/21/2017",
        "https://example.com/01/10614141073464/21/2017",
        "https://brand.example/some/path/gtin/10614141073464/ser/2017",
        "https://id.gs1.org/01/10614141073464/21/2017?17=280101&linkType=gs1:pip",
        "https://id.gs1.org/01/10614141073464/21/2017#section",
        "https://id.gs1.org/01/10614141073464/10/LOT9/21/2017",  # serial wins over the lot
        "https://id.gs1.org/01/10614141073464/22/2A/21/2017",  # consumer product variant is not identity
        "https://id.gs1.org/01/10614141073464/cpv/2A/lot/LOT9/ser/2017/",
        "urn:epc:idpat:sgtin:0614141.107346.2017",  # a pattern without wildcards names one object
    ],
)
def test_every_way_of_writing_an_sgtin_gives_one_key(variant: str) -> None:
    assert identity_key(variant) == D + "01/10614141073464/21/2017"


def test_short_gtins_are_padded_and_lots_kept_without_a_serial() -> None:
    assert identity_key("https://example.com/01/9520123456788") == D + "01/09520123456788"
    assert identity_key("https://example.com/gtin/614141123452/lot/L1") == D + "01/00614141123452/10/L1"
    assert identity_key("https://example.com/01/40170725") == D + "01/00000040170725"


def test_digital_link_escapes_are_made_canonical() -> None:
    assert identity_key("https://id.gs1.org/01/10614141073464/21/a%2fb") == D + "01/10614141073464/21/a%2Fb"
    assert identity_key("https://id.gs1.org/01/10614141073464/21/a!b") == D + "01/10614141073464/21/a%21b"
    assert identity_key("https://id.gs1.org/01/10614141073464/21/%41") == D + "01/10614141073464/21/A"
    assert identity_key("https://id.gs1.org/414/0614141073467/254/0") == identity_key(
        "urn:epc:id:sgln:0614141.07346.0"
    )


@pytest.mark.parametrize(
    "uri",
    [
        "urn:example:lot:4711",
        "https://example.com/lot/1",
        "https://example.com/01/2024-batch",  # AI-looking path, but no GTIN
        "urn:epc:id:gid:95100000.12345.400",  # an EPC, but not a GS1 key
        "urn:epc:id:usdod:2S194.12345678901",
        "urn:epc:idpat:sgtin:0614141.*.*",  # many objects, no single key
        "urn:epcglobal:cbv:bt:0614141073467:1152",
        "geo:47.506694,11.104301",
        "",
    ],
)
def test_other_uris_are_their_own_key(uri: str) -> None:
    assert to_digital_link(uri) is None
    assert identity_key(uri) == uri
    assert to_epc_urn(uri, 7) in (None, uri)


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        (
            "urn:epc:id:sgtin:0614141.10734.2017",
            "company prefix (7 digits) and the indicator+item ref must have 13",
        ),
        (
            "urn:epc:id:sgtin:0614141.107346",
            "not a valid SGTIN EPC URI; expected urn:epc:id:sgtin:<company prefix>",
        ),
        ("urn:epc:id:sgtin:0614141.107346.ABC DEF", "not a valid SGTIN"),
        ("urn:epc:id:sgtin:0614141.107346.123456789012345678901", "not a valid SGTIN"),
        ("urn:epc:id:sgtin:06141.1073460.1", "not a valid SGTIN"),
        ("urn:epc:id:sscc:0614141.12345", "must have 17 digits together"),
        ("urn:epc:id:sgln:0614141.07346", "not a valid SGLN"),
        ("urn:epc:id:giai:0614141.123456789012345678901234", "at most 30 characters"),
        ("urn:epc:class:lgtin:0614141.107346", "not a valid LGTIN"),
        ("urn:epc:class:sgtin:0614141.107346.1", "unknown EPC class scheme 'sgtin'"),
        ("urn:epc:idpat:sgtin:0614141.*.2017", "wildcards (*) must be the last parts"),
        ("urn:epc:idpat:sgtin:0614141.10734.*", "not a valid SGTIN pattern"),
        ("https://id.gs1.org/01/10614141073465/21/2017", "bad check digit in 10614141073465 (expected 4)"),
        ("https://example.com/gtin/9520123456781", "bad check digit"),
        ("https://id.gs1.org/01/10614141073/21/2017", "must have 14 digits, not 11"),
        ("https://id.gs1.org/00/106141411234567898", "bad check digit"),
        ("https://id.gs1.org/414/061414107346/254/1", "must have 13 digits, not 12"),
        ("https://id.gs1.org/01/10614141073464/21/S/10/L", "qualifiers 21/10 are not allowed after AI 01"),
        ("https://id.gs1.org/414/0614141073467/21/1", "AI 414 does not take the qualifiers 21"),
        ("https://id.gs1.org/01/10614141073464/21/A%00B", "outside GS1's set"),
        ("https://id.gs1.org/01/10614141073464/21/123456789012345678901", "1 to 20 characters"),
    ],
)
def test_malformed_gs1_identifiers_say_what_is_wrong(uri: str, message: str) -> None:
    with pytest.raises(IdentifierError, match=re.escape(message)):
        identity_key(uri)
    assert hash_canonical(uri) is None or uri.startswith("https://")  # the hash never raises


def test_hash_canonicalisation_follows_the_reference_implementation() -> None:
    # the reference does not check check digits, and leaves a Digital Link with %-escapes as it is
    assert hash_canonical("https://id.gs1.org/01/10614141073465/21/2017") == D + "01/10614141073465/21/2017"
    assert hash_canonical("https://example.com/01/10614141073464/21/A%2FB") is None
    assert hash_canonical("https://id.gs1.org/414/0614141073467/254/0") == D + "414/0614141073467/254/0"
    assert hash_canonical("https://id.example.org/8004/401234599999") == D + "8004/401234599999"
    assert hash_canonical("urn:epc:id:sgtin:0614141.107346.a%2fb") == D + "01/10614141073464/21/a%2fb"
    assert hash_canonical("not a uri") is None


def test_to_epc_urn_checks_the_company_prefix_length() -> None:
    with pytest.raises(IdentifierError, match="6 to 12 digits, not 5"):
        to_epc_urn(D + "01/10614141073464/21/2017", 5)
    assert to_epc_urn(D + "01/10614141073464/21/A%2Fb%21", 7) == "urn:epc:id:sgtin:0614141.107346.A%2Fb!"
    assert to_epc_urn("https://brand.example/gtin/10614141073464/ser/7?x=1", 7) == (
        "urn:epc:id:sgtin:0614141.107346.7"
    )


# --- EPC patterns as SQL LIKE over identity keys -------------------------------------------------------

KEYS = {
    "sgtin-1": "urn:epc:id:sgtin:0614141.107346.1",
    "sgtin-2": "https://example.com/01/10614141073464/21/2",
    "sgtin-other-item": "urn:epc:id:sgtin:0614141.207346.1",
    "sgtin-other-company": "urn:epc:id:sgtin:0614142.107346.1",
    "lgtin": "urn:epc:class:lgtin:0614141.107346.LOT_1",
    "gtin-class": "urn:epc:idpat:sgtin:0614141.107346.*",
    "upui": "urn:epc:id:upui:0614141.107346.TPX",
    "sscc": "urn:epc:id:sscc:0614141.1234567890",
    "sscc-other-company": "urn:epc:id:sscc:0614142.1234567890",
    "sgln-ext": "urn:epc:id:sgln:0614141.07346.1234",
    "sgln": "urn:epc:id:sgln:0614141.07346.0",
    "grai": "urn:epc:id:grai:0614141.12345.S1",
    "gid": "urn:epc:id:gid:95100000.12345.400",
    "private": "urn:example:0614141_%1",
}
GTIN_0614141_107346 = {"sgtin-1", "sgtin-2", "lgtin", "gtin-class", "upui"}


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        # GTIN patterns also find the class keys of the GTIN (for MATCH_epcClass); a UPUI of the same GTIN
        # is found too (documented over-match: one LIKE cannot exclude it)
        ("urn:epc:idpat:sgtin:0614141.107346.*", GTIN_0614141_107346),
        ("urn:epc:idpat:sgtin:0614141.*.*", GTIN_0614141_107346 | {"sgtin-other-item"}),
        ("urn:epc:idpat:sgtin:*.*.*", GTIN_0614141_107346 | {"sgtin-other-item", "sgtin-other-company"}),
        ("urn:epc:idpat:upui:0614141.107346.*", {"upui"}),
        ("urn:epc:idpat:sscc:0614141.*", {"sscc"}),
        ("urn:epc:idpat:sscc:*.*", {"sscc", "sscc-other-company"}),
        ("urn:epc:idpat:sgln:0614141.07346.*", {"sgln", "sgln-ext"}),
        ("urn:epc:idpat:sgln:0614141.*.*", {"sgln", "sgln-ext"}),
        ("urn:epc:idpat:grai:0614141.*.*", {"grai"}),
        ("urn:epc:idpat:grai:0614141.12345.*", {"grai"}),
        ("urn:epc:idpat:gid:95100000.*.*", {"gid"}),
        ("urn:epc:idpat:gid:95100000.12345.*", {"gid"}),
        ("urn:epc:idpat:gid:95100000.99999.*", set()),
    ],
)
def test_patterns_match_the_right_keys_in_sql(pattern: str, expected: set[str]) -> None:
    like = idpat_like(pattern)
    assert like is not None
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE k (name TEXT, key TEXT)")
    db.executemany("INSERT INTO k VALUES (?, ?)", [(n, identity_key(u)) for n, u in KEYS.items()])
    found = {name for (name,) in db.execute("SELECT name FROM k WHERE key LIKE ?", (like,))}
    assert found == expected


def test_like_patterns_look_as_documented() -> None:
    assert idpat_like("urn:epc:idpat:sgtin:0614141.107346.*") == D + "01/10614141073464%"
    assert idpat_like("urn:epc:idpat:sgtin:0614141.*.*") == D + "01/_0614141%"
    assert idpat_like("urn:epc:idpat:sscc:*.*") == D + "00/%"
    assert idpat_like("urn:epc:idpat:itip:0614141.107346.01.*.*") == D + "8006/1061414107346401%"


@pytest.mark.parametrize(
    "value", ["urn:epc:id:sgtin:0614141.107346.1", "urn:epc:idpat:sgtin:0614141.107346.2017", "https://x.y/z"]
)
def test_non_patterns_give_none(value: str) -> None:
    assert idpat_like(value) is None


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("urn:epc:idpat:sgtin:0614141.*.2017", "wildcards"),
        ("urn:epc:idpat:sgtin:0614141.*", "a sgtin pattern has 3 parts"),
        ("urn:epc:idpat:sgtin:06141.*.*", "company prefix must have 6 to 12 digits"),
        ("urn:epc:idpat:sgtin:0614141.10734.*", "not a valid SGTIN pattern"),
        ("urn:epc:idpat:itip:0614141.107346.1.*.*", "two digits each"),
    ],
)
def test_malformed_patterns_raise(pattern: str, message: str) -> None:
    with pytest.raises(IdentifierError, match=message):
        idpat_like(pattern)


# --- the fast conversion of common identifiers ---------------------------------------------------------
# `_fast` converts SGTIN, LGTIN, SSCC, SGLN and GIAI URNs with plain serials, and canonical GTIN Digital Links,
# for both canonicalisers at once (and `common_digital_link` shares its answers between them): wherever it
# answers, it must give what the general code gives, strict and lenient.


def _check_digit(digits: str) -> str:
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return str(-total % 10)


def _general(uri: str, strict: bool) -> str | None:
    try:
        return (_urn_to_dl if uri.startswith("urn:epc:") else _dl_to_dl)(uri, strict)
    except IdentifierError as exc:
        return f"error: {exc}"


def _hash_canonical_in_general(value: str) -> str | None:
    """`hash_canonical` as it was before the fast conversion."""
    if "." not in value:
        return None
    if value.startswith("urn:epc:"):
        return _urn_to_dl(value, False)
    if value.startswith(("https://", "http://")):
        return _dl_to_dl(value, False)
    return None


_SERIAL = st.text("09AZaz'_;=-.:%!*()+,/\"&<>? #٣é", max_size=30) | st.sampled_from(["1", "L1", "lot", "ser"])
_DIGITS = st.text("0123456789", max_size=14) | st.text("0123456789٣", max_size=14)
_NEAR_URNS = st.builds(
    lambda scheme, prefix, ref, serial: f"{scheme}{prefix}{ref}{serial}",
    st.sampled_from(
        [
            "urn:epc:id:sgtin:",
            "urn:epc:class:lgtin:",
            "urn:epc:id:sscc:",
            "urn:epc:id:sgln:",
            "urn:epc:id:giai:",
            "urn:epc:id:pgln:",
            "urn:epc:id:grai:",
            "urn:epc:idpat:sgtin:",
            "urn:epc:class:sgtin:",
            "urn:epc:id:lgtin:",
            "urn:epc:id:sgtin:x:",
        ]
    ),
    st.sampled_from(["4012345", "0614141", "061414", "061414107346", "0614141."]) | _DIGITS,
    st.sampled_from([".110001", ".107346", ".00001", ".0000000723", ".1107346", ".1", "", "."]) | _DIGITS,
    st.sampled_from(["", ".0", ".1", ".102485", ".TL0010", ".A.B"]) | _SERIAL.map(lambda s: "." + s),
)
_GTINS = st.sampled_from(["1061414107346", "1401234510001", "0000004017072", "9520123456788"]) | st.text(
    "0123456789", min_size=13, max_size=13
)
_NEAR_LINKS = st.builds(
    lambda root, key, check, tail: f"{root}{key}{_check_digit(key) if check else '0'}{tail}",
    st.sampled_from(["https://id.gs1.org/01/", "http://id.gs1.org/01/", "https://example.com/01/"]),
    _GTINS,
    st.booleans(),
    st.sampled_from(["", "/21/2017", "/10/LOT9", "/21/lot", "/10/ser", "/22/2A", "/21/1?x=1", "/21/1/"])
    | _SERIAL.map(lambda s: "/21/" + s),
) | st.builds(
    lambda key, check: f"https://id.gs1.org/00/{key}{_check_digit(key) if check else '0'}",
    st.text("0123456789", min_size=17, max_size=17),
    st.booleans(),
)


@settings(max_examples=1500, deadline=None)
@given(uri=_NEAR_URNS | _NEAR_LINKS)
def test_the_fast_conversion_agrees_with_the_general_code(uri: str) -> None:
    fast = _fast(uri)
    assert hash_canonical(uri) == _hash_canonical_in_general(uri)
    if fast is None:
        assert common_digital_link(uri) is None
        return
    assert fast == _general(uri, strict=True) == _general(uri, strict=False)
    assert (
        common_digital_link(uri) == to_digital_link(uri) == hash_canonical(uri) == identity_key(uri) == fast
    )


@pytest.mark.parametrize(
    "uri",
    [
        "urn:epc:id:sgtin:4012345.110001.102485",
        "urn:epc:id:sgtin:061414107346.1.A-b_c'd;e=f",
        "urn:epc:class:lgtin:4012345.010002.L260050001",
        "urn:epc:id:sscc:4012345.0000000723",
        "urn:epc:id:sgln:4012345.00001.501",
        "urn:epc:id:sgln:4012345.00001.0",
        "urn:epc:id:giai:4012345.TL0010",
        "https://id.gs1.org/01/14012345100010/21/102492",
        "https://id.gs1.org/01/10614141073464",
    ],
)
def test_the_common_identifiers_are_converted_fast(uri: str) -> None:
    assert _fast(uri) is not None
    assert common_digital_link(uri) == _general(uri, strict=True) == _general(uri, strict=False)


@pytest.mark.parametrize(
    "uri",
    [
        "urn:epc:id:sgtin:0614141.107346.A%2FB",  # escapes: the two canonicalisers differ
        "urn:epc:id:sgtin:0614141.107346.A!",
        "urn:epc:id:sgtin:0614141.107346.2.1",  # a serial with a dot
        "urn:epc:id:sgtin:0614141.107346.123456789012345678901",  # too long
        "urn:epc:id:sscc:0614141.12345",  # too short
        "https://id.gs1.org/01/10614141073465/21/2017",  # bad check digit: lenient keeps it, strict raises
        "https://id.gs1.org/01/10614141073464/21/lot",  # a short name as the serial
        "urn:epc:id:pgln:4012345.00000",  # (converted by the general code)
    ],
)
def test_other_identifiers_are_left_to_the_general_code(uri: str) -> None:
    assert _fast(uri) is None
    assert common_digital_link(uri) is None


def test_identity_keys_reuse_what_the_event_hash_converted() -> None:
    uri = "urn:epc:id:sgtin:4012345.110001.987654321"
    event = {"type": "ObjectEvent", "eventTime": "2026-01-27T19:54:50.448+01:00", "epcList": [uri]}
    assert D + "01/14012345100010/21/987654321" in prehash(event)
    assert _AGREED[uri] == identity_key(uri) == D + "01/14012345100010/21/987654321"


def test_identity_keys_are_the_same_after_the_memos_are_emptied() -> None:
    urn = "urn:epc:id:sgtin:4012345.011111.987"
    key = identity_key(urn)
    forget_remembered()
    assert not _AGREED and _identity_key.cache_info().currsize == 0
    assert identity_key(urn) == key == "https://id.gs1.org/01/04012345111118/21/987"
