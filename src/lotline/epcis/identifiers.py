"""EPC URNs and GS1 Digital Link URIs: one identity per object, whichever form it came in.

    urn:epc:id:sgtin:0614141.107346.2017            -> https://id.gs1.org/01/10614141073464/21/2017
    https://brand.example/gtin/10614141073464/ser/2017?17=250101  -> the same
    urn:epc:class:lgtin:0614141.107346.LOT1         -> https://id.gs1.org/01/10614141073464/10/LOT1
    urn:epc:idpat:sgtin:0614141.107346.*            -> https://id.gs1.org/01/10614141073464   (the class)

The canonical form is the constrained GS1 Digital Link of the CBV 2.0 event-hash algorithm (GS1 EPC Tag Data
Standard 2.x conversion rules): host id.gs1.org, numeric AIs, no query string, the finest identification
level only (a serial number wins over a lot, the consumer product variant AI 22 is dropped; AI 254 with the
value 0 is the GLN itself).

Two entry points share the grammar. `to_digital_link` is strict: a malformed GS1 identifier (wrong digit
count, bad check digit, characters outside GS1's set) raises `IdentifierError`. `hash_canonical` is the
event-hash canonicaliser: it never raises and follows the reference implementation of the hash where that
is stricter than the standard (e.g. a Digital Link with %-escapes is left as it is).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final

from lotline.errors import IdentifierError

__all__ = [
    "common_digital_link",
    "hash_canonical",
    "identity_key",
    "idpat_like",
    "to_digital_link",
]

DL_ROOT: Final = "https://id.gs1.org/"

# One character of GS1's character set 82 as written in an EPC URN: literal, or %-escaped.
_X: Final = r"(?:%(?:2[125-9A-Fa-f]|3[0-9A-Fa-f]|4[1-9A-Fa-f]|5[0-9AaFf]|6[1-9A-Fa-f]|7[0-9Aa])|[!'()*+,.0-9:;=A-Za-z_-])"
_C: Final = r"(?:%2[3Ff]|[0-9A-Z-])"  # one character of a component/part reference (CPI)
_G: Final = r"(\d{6,12})"  # the GS1 company prefix

# scheme -> (grammar of the part after `urn:epc:id:<scheme>:`, digits in company prefix + next part, shape)
_URN: Final[dict[str, tuple[re.Pattern[str], int, str]]] = {
    name: (re.compile(pattern), digits, shape)
    for name, pattern, digits, shape in (
        (
            "sgtin",
            rf"{_G}\.(\d{{1,7}})\.({_X}{{1,20}})",
            13,
            "<company prefix>.<indicator+item ref>.<serial>",
        ),
        ("sscc", rf"{_G}\.(\d{{5,11}})", 17, "<company prefix>.<extension+serial ref>"),
        ("sgln", rf"{_G}\.(\d{{0,6}})\.({_X}{{1,20}})", 12, "<company prefix>.<location ref>.<extension>"),
        ("grai", rf"{_G}\.(\d{{0,6}})\.({_X}{{1,16}})", 12, "<company prefix>.<asset type>.<serial>"),
        ("giai", rf"{_G}\.({_X}{{1,24}})", 30, "<company prefix>.<asset ref>"),
        ("gsrn", rf"{_G}\.(\d{{5,11}})", 17, "<company prefix>.<service ref>"),
        ("gsrnp", rf"{_G}\.(\d{{5,11}})", 17, "<company prefix>.<service ref>"),
        ("gdti", rf"{_G}\.(\d{{0,6}})\.({_X}{{0,17}})", 12, "<company prefix>.<document type>.<serial>"),
        ("cpi", rf"{_G}\.({_C}{{1,24}})\.(\d{{1,12}})", 30, "<company prefix>.<part ref>.<serial>"),
        ("sgcn", rf"{_G}\.(\d{{0,6}})\.(\d{{1,12}})", 12, "<company prefix>.<coupon ref>.<serial>"),
        ("ginc", rf"{_G}\.({_X}{{1,24}})", 30, "<company prefix>.<consignment ref>"),
        ("gsin", rf"{_G}\.(\d{{4,10}})", 16, "<company prefix>.<shipper ref>"),
        (
            "itip",
            rf"{_G}\.(\d{{1,7}})\.(\d\d)\.(\d\d)\.({_X}{{1,20}})",
            13,
            "<cp>.<item ref>.<piece>.<total>.<serial>",
        ),
        ("upui", rf"{_G}\.(\d{{1,7}})\.({_X}{{1,28}})", 13, "<company prefix>.<indicator+item ref>.<TPX>"),
        ("pgln", rf"{_G}\.(\d{{0,6}})", 12, "<company prefix>.<party ref>"),
        ("lgtin", rf"{_G}\.(\d{{1,7}})\.({_X}{{1,20}})", 13, "<company prefix>.<indicator+item ref>.<lot>"),
    )
}
_CLASS_PATTERNS: Final = frozenset({"sgtin", "grai", "gdti", "sgcn", "cpi", "itip", "upui"})
_CLASS_AI: Final = {"grai": "8003/0", "gdti": "253/", "sgcn": "255/"}  # AI and filler before the key
_PATTERN_PARTS: Final = {
    "sgtin": 3, "sscc": 2, "sgln": 3, "grai": 3, "giai": 2, "gsrn": 2, "gsrnp": 2, "gdti": 3,
    "cpi": 3, "sgcn": 3, "ginc": 2, "gsin": 2, "itip": 5, "upui": 3, "pgln": 2,
}  # fmt: skip

_SHORT_NAMES: Final = {
    "gtin": "01", "itip": "8006", "cpid": "8010", "gln": "414", "party": "417", "gsrnp": "8017",
    "gsrn": "8018", "gcn": "255", "sscc": "00", "gdti": "253", "ginc": "401", "gsin": "402",
    "grai": "8003", "giai": "8004", "cpv": "22", "lot": "10", "ser": "21",
}  # fmt: skip
_KEY_DIGITS: Final = {"00": 18, "414": 13, "417": 13, "402": 17, "8017": 18, "8018": 18}
_PRIMARY: Final = frozenset({"01", "8006", "8010", "253", "255", "8003", "8004", "401", *_KEY_DIGITS})
_KEY_START: Final = re.compile(r"\d{4}.")
_ESC: Final = re.compile(r"%([0-9A-Fa-f]{2})")
_PLAIN: Final = re.compile(r"[0-9A-Za-z'.;=_-]*")  # needs no %-encoding in a Digital Link
_CSET82: Final = frozenset(
    "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
)
_DL_ENCODE: Final = {c: f"%{ord(c):02X}" for c in '!"%&()*+,/:<>?'}
_REF_ENCODE: Final = str.maketrans({c: f"%{ord(c):02X}" for c in "!()*+,:"})
_URN_ENCODE: Final = {c: f"%{ord(c):02X}" for c in '"%&/<>?'}
# The hash reference only keeps a Digital Link whose values use these characters (no %-escapes):
_REF_VALUE: Final = re.compile(r"[\"'\-.0-9;-?A-Z_a-z]*")
_REF_CPI: Final = re.compile(r"[#\-/0-9A-Z]{0,30}")
_CPI: Final = re.compile(rf"{_C}{{1,30}}")
_CANONICAL_GTIN: Final = re.compile(
    r"https://id\.gs1\.org/01/(\d{14})(?:/(?:21|10)/[0-9A-Za-z'.;=_-]{1,20})?"
)


def _cd(digits: str) -> str:
    """GS1 mod-10 check digit of `digits` (weights 3, 1, 3, ... from the right)."""
    odd, even = digits[-1::-2].encode(), digits[-2::-2].encode()  # summing ASCII codes is fast
    return str(-(3 * sum(odd) + sum(even) - 48 * (3 * len(odd) + len(even))) % 10)


def _decode(text: str) -> str:
    return _ESC.sub(lambda m: chr(int(m.group(1), 16)), text) if "%" in text else text


def _canon_value(text: str, what: str) -> str:
    """Decode %-escapes, check GS1's character set, encode as canonical Digital Link path text."""
    if _PLAIN.fullmatch(text):
        return text
    raw = _decode(text)
    bad = set(raw) - _CSET82
    if bad:
        raise IdentifierError(
            f"{what} {text!r} contains characters outside GS1's set: {''.join(sorted(bad))!r}"
        )
    return "".join(_DL_ENCODE.get(c, c) for c in raw)


def _units(text: str) -> int:
    """Length in characters, counting a %-escape as one."""
    return len(text) - 2 * text.count("%")


def _urn_text(text: str) -> str:
    """Digital Link path text -> EPC URN text (its own escapes for " % & / < > ?)."""
    return "".join(_URN_ENCODE.get(c, c) for c in _decode(text))


def _enc_strict(text: str) -> str:
    return _canon_value(text, "value")


def _enc_reference(text: str) -> str:
    return text.translate(_REF_ENCODE)


# --- EPC URN -> Digital Link ---------------------------------------------------------------------------


def _urn_to_dl(uri: str, strict: bool) -> str | None:
    kind, _, rest = uri[8:].partition(":")  # after "urn:epc:"
    scheme, sep, body = rest.partition(":")
    if not sep or kind not in ("id", "class", "idpat"):
        return None
    if kind == "idpat":
        if body.endswith(".*") and "*" not in body[:-2] and scheme in _CLASS_PATTERNS:
            return _pattern_class(uri, scheme, body[:-2], strict)
        if strict and "*" not in body and scheme in _PATTERN_PARTS:
            kind = "id"  # a pattern without wildcards names one object
        else:
            if strict and scheme in _PATTERN_PARTS:
                idpat_like(uri)  # raises if malformed
            return None
    if (kind == "class") != (scheme == "lgtin") or scheme not in _URN:
        if strict and kind == "class":
            raise IdentifierError(f"{uri!r}: unknown EPC class scheme {scheme!r} (only lgtin exists)")
        return None
    grammar, digits, shape = _URN[scheme]
    m = grammar.fullmatch(body)
    variable = scheme in ("giai", "ginc", "cpi")  # these end with a variable-length reference
    if m is not None:
        total = len(m[1]) + (_units(m[2]) if variable else len(m[2]))
        if total == digits or (variable and total < digits):
            return _urn_build(scheme, m.groups(), strict)
    if not strict:
        return None
    if m is not None:
        raise IdentifierError(
            f"{uri!r}: the company prefix ({len(m[1])} digits) and the {shape.split('.')[1][1:-1]} must have "
            f"{'at most ' if variable else ''}{digits} {'characters' if variable else 'digits'} together"
        )
    raise IdentifierError(
        f"{uri!r} is not a valid {scheme.upper()} EPC URI; expected urn:epc:{kind}:{scheme}:{shape}"
    )


def _urn_build(scheme: str, g: tuple[str, ...], strict: bool) -> str:
    enc = _enc_strict if strict else _enc_reference
    if scheme in ("sgtin", "lgtin", "upui", "itip"):
        gtin = g[1][0] + g[0] + g[1][1:]
        gtin += _cd(gtin)
        if scheme == "itip":
            return f"{DL_ROOT}8006/{gtin}{g[2]}{g[3]}/21/{enc(g[4])}"
        qualifier = {"sgtin": "21", "lgtin": "10", "upui": "235"}[scheme]
        return f"{DL_ROOT}01/{gtin}/{qualifier}/{enc(g[2])}"
    if scheme == "sscc":
        key = g[1][0] + g[0] + g[1][1:]
        return f"{DL_ROOT}00/{key}{_cd(key)}"
    if scheme in ("giai", "ginc"):
        return f"{DL_ROOT}{'8004' if scheme == 'giai' else '401'}/{g[0]}{enc(g[1])}"
    if scheme == "cpi":
        return f"{DL_ROOT}8010/{g[0]}{g[1].upper() if strict else g[1]}/8011/{g[2]}"
    key = g[0] + g[1]
    key += _cd(key)
    if scheme == "sgln":
        return f"{DL_ROOT}414/{key}" if g[2] == "0" else f"{DL_ROOT}414/{key}/254/{enc(g[2])}"
    ai = {"gsrn": "8018", "gsrnp": "8017", "gsin": "402", "pgln": "417", "gdti": "253", "sgcn": "255"}
    if scheme in ai:
        return f"{DL_ROOT}{ai[scheme]}/{key}{enc(g[2]) if len(g) > 2 else ''}"
    return f"{DL_ROOT}8003/0{key}{enc(g[2])}"  # grai


def _pattern_class(uri: str, scheme: str, body: str, strict: bool) -> str | None:
    """`urn:epc:idpat:<scheme>:<company prefix>.<class part>.*` -> the class-level Digital Link."""
    if scheme == "itip":
        m = re.fullmatch(r"(\d{6,12})\.(\d{1,7})\.(\d\d)\.(\d\d)", body)
    elif scheme == "cpi":
        m = re.fullmatch(rf"(\d{{6,12}})\.({_C}{{1,24}})", body)
    else:
        m = re.fullmatch(r"(\d{6,12})\.(\d{0,7})", body)
    size = 13 if scheme in ("sgtin", "upui", "itip") else 12
    if m is None or (scheme != "cpi" and len(m[1]) + len(m[2]) != size):
        if strict:
            raise IdentifierError(f"{uri!r} is not a valid {scheme.upper()} pattern URI")
        return None
    if scheme == "cpi":
        return f"{DL_ROOT}8010/{m[1]}{m[2]}"
    if scheme in ("sgtin", "upui", "itip"):
        gtin = m[2][0] + m[1] + m[2][1:]
        gtin += _cd(gtin)
        return f"{DL_ROOT}8006/{gtin}{m[3]}{m[4]}" if scheme == "itip" else f"{DL_ROOT}01/{gtin}"
    key = m[1] + m[2]
    key += _cd(key)
    return f"{DL_ROOT}{_CLASS_AI[scheme]}{key}"


# --- Digital Link -> canonical Digital Link --------------------------------------------------------------


def _split_dl(uri: str, strict: bool) -> tuple[str, str, list[str]] | None:
    """(primary AI, key, qualifier path segments) of a Digital Link, or None if it is not one."""
    rest = uri[8:] if uri.startswith("https://") else uri[7:] if uri.startswith("http://") else None
    if rest is None:
        return None
    rest = rest.split("?", 1)[0]
    if "#" in rest:
        if not strict:
            return None
        rest = rest.split("#", 1)[0]
    slash = rest.find("/")
    if slash < 0:
        return None
    segments = [_SHORT_NAMES.get(s, s) for s in rest[slash + 1 :].split("/")]
    if segments[-1] == "":
        if not strict:
            return None
        segments.pop()
    for i in range(len(segments) - 1):
        if segments[i] in _PRIMARY and _KEY_START.match(segments[i + 1]):
            return segments[i], segments[i + 1], segments[i + 2 :]
    return None


def _dl_to_dl(uri: str, strict: bool) -> str | None:
    split = _split_dl(uri, strict)
    if split is None:
        return None
    ai, key, quals = split
    if len(quals) % 2:
        return _bad(strict, uri, "qualifiers must come in pairs of AI/value")
    names = quals[::2]
    raw = dict(zip(names, quals[1::2], strict=True))
    if ai in ("01", "8006"):
        if names[:1] == ["22"]:  # consumer product variant: not part of the identity
            tail = "/".join(quals[1:])
            if not strict and (len(tail) > 20 or not _REF_VALUE.fullmatch(tail.replace("/", ""))):
                return None
            names = names[1:]
        if names not in ([], ["21"], ["10"], ["10", "21"], ["235"]) or (ai == "8006" and names == ["235"]):
            return _bad(strict, uri, f"the qualifiers {'/'.join(quals[::2])} are not allowed after AI {ai}")
        if ai == "01" and key.isdigit() and len(key) in (8, 12, 13):
            key = key.zfill(14)
        if not _digits_ok(key, 14 if ai == "01" else 18, 14, uri, strict):
            return None
        values = {name: _value(raw[name], 28 if name == "235" else 20, uri, strict) for name in names}
        if None in values.values():
            return None
        name = next((n for n in ("21", "10", "235") if n in values), None)
        return f"{DL_ROOT}{ai}/{key}" + (f"/{name}/{values[name]}" if name else "")
    if ai == "414" and names == ["254"]:
        ext = _value(raw["254"], 20, uri, strict)
        if ext is None or not _digits_ok(key, 13, 13, uri, strict):
            return None
        return f"{DL_ROOT}414/{key}" if strict and ext == "0" else f"{DL_ROOT}414/{key}/254/{ext}"
    if ai == "8010" and names in ([], ["8011"]):
        serial = raw.get("8011")
        if strict:
            key = _ESC.sub(lambda m: "%" + m.group(1).upper(), key)
        if not (_CPI if strict else _REF_CPI).fullmatch(key) or not re.fullmatch(r"\d{1,12}", serial or "0"):
            return _bad(strict, uri, "expected 8010/<CPI: digits, A-Z, -, %23, %2F>[/8011/<up to 12 digits>]")
        return f"{DL_ROOT}8010/{key}" + ("" if serial is None else f"/8011/{serial}")
    if names:
        return _bad(strict, uri, f"AI {ai} does not take the qualifiers {'/'.join(names)}")
    if ai in _KEY_DIGITS:
        size = _KEY_DIGITS[ai]
        return f"{DL_ROOT}{ai}/{key}" if _digits_ok(key, size, size, uri, strict) else None
    if ai in ("253", "255", "8003"):
        head = 14 if ai == "8003" else 13
        if strict and ai == "8003" and key[:1] != "0":
            return _bad(strict, uri, "a GRAI in AI 8003 starts with 0")
        if not _digits_ok(key[:head], head, head, uri, strict):
            return None
        if ai == "255":
            ok = re.fullmatch(r"\d{0,12}", key[head:])
            return f"{DL_ROOT}255/{key}" if ok else _bad(strict, uri, "a GCN serial has up to 12 digits")
        serial = _value(key[head:], 17 if ai == "253" else 16, uri, strict, empty=True)
        return None if serial is None else f"{DL_ROOT}{ai}/{key[:head]}{serial}"
    value = _value(key, 30, uri, strict)  # 8004 GIAI, 401 GINC
    return None if value is None else f"{DL_ROOT}{ai}/{value}"


def _bad(strict: bool, uri: str, why: str) -> str | None:
    if strict:
        raise IdentifierError(f"{uri!r} is not a valid GS1 Digital Link: {why}")
    return None


def _digits_ok(key: str, size: int, checked: int, uri: str, strict: bool) -> bool:
    """Whether `key` is `size` digits; when strict, digit number `checked` must be the check digit."""
    if not key.isdigit() or len(key) != size:
        if strict and key.isdigit():
            raise IdentifierError(f"{uri!r}: the GS1 key {key} must have {size} digits, not {len(key)}")
        return False
    if strict and _cd(key[: checked - 1]) != key[checked - 1]:
        raise IdentifierError(
            f"{uri!r}: bad check digit in {key[:checked]} (expected {_cd(key[: checked - 1])})"
        )
    return True


def _value(text: str, limit: int, uri: str, strict: bool, empty: bool = False) -> str | None:
    """A qualifier or serial value: canonical %-encoding when strict, the reference's rules otherwise."""
    if not strict:
        return text if len(text) <= limit and _REF_VALUE.fullmatch(text) and (text or empty) else None
    value = _canon_value(text, "value")
    if _units(value) > limit or not (value or empty):
        raise IdentifierError(f"{uri!r}: {text!r} must have 1 to {limit} characters")
    return value


# --- the common identifiers, fast ------------------------------------------------------------------------
# Nearly all identifiers in an event stream are SGTIN, LGTIN, SSCC, SGLN and GIAI URNs with plain serials,
# and canonical GTIN Digital Links. For those, the strict and the reference canonicalisation agree, and all
# but the serial (company prefix, item or location reference, check digit) is shared by many identifiers:
# `_fast` converts them from a cache of those shared heads with string slicing, and says None for anything
# else, which the general code above then decides. tests/epcis/test_identifiers.py checks that `_fast`
# agrees with the general code in both modes.

_APPEND, _SGLN, _SSCC, _NONE = 0, 1, 2, 3
_NOT_FAST: Final = (_NONE, "", "", 0)
_FAST_SCHEMES: Final = (
    "urn:epc:id:sgtin:", "urn:epc:class:lgtin:", "urn:epc:id:sscc:", "urn:epc:id:sgln:", "urn:epc:id:giai:",
)  # fmt: skip
_SIMPLE: Final = re.compile(r"[0-9A-Za-z'_;=-]+")  # GS1 characters that no form escapes (no `.` or `:`)
_GTIN_HEAD: Final = re.compile(r"([0-9]{6,12})\.([0-9]{1,7})")
_GLN_HEAD: Final = re.compile(r"([0-9]{6,12})\.([0-9]{0,6})")
_DL_GTIN: Final = DL_ROOT + "01/"
# URN up to its last `.` -> (how to add the rest, Digital Link prefix, extra, most characters of the rest)
_HEADS: Final[dict[str, tuple[int, str, str, int]]] = {}
_AGREED: Final[dict[str, str]] = {}  # identifier -> `_fast` Digital Link, shared by the event hash and keys
_CACHE_SIZE: Final = 1 << 16


def _head(head: str) -> tuple[int, str, str, int]:
    """How to convert the URNs that start with `head` + `.` (`_NOT_FAST`: not in `_fast`)."""
    scheme, _, body = head.rpartition(":")
    if scheme in ("urn:epc:id:sgtin", "urn:epc:class:lgtin"):
        m = _GTIN_HEAD.fullmatch(body)
        if m is None or len(m[1]) + len(m[2]) != 13:
            return _NOT_FAST
        gtin = m[2][0] + m[1] + m[2][1:]
        return _APPEND, f"{_DL_GTIN}{gtin}{_cd(gtin)}/{'21' if scheme.endswith('sgtin') else '10'}/", "", 20
    if scheme == "urn:epc:id:sgln":
        m = _GLN_HEAD.fullmatch(body)
        if m is None or len(m[1]) + len(m[2]) != 12:
            return _NOT_FAST
        gln = f"{DL_ROOT}414/{m[1]}{m[2]}{_cd(m[1] + m[2])}"
        return _SGLN, gln + "/254/", gln, 20
    if scheme not in ("urn:epc:id:sscc", "urn:epc:id:giai") or not (
        6 <= len(body) <= 12 and body.isascii() and body.isdigit()
    ):
        return _NOT_FAST
    if scheme == "urn:epc:id:sscc":
        return _SSCC, DL_ROOT + "00/", body, 17 - len(body)
    return _APPEND, f"{DL_ROOT}8004/{body}", "", min(24, 30 - len(body))


def _fast(uri: str) -> str | None:
    """The canonical Digital Link of a common identifier (see above), or None."""
    head, _, rest = uri.rpartition(".")
    how = _HEADS.get(head)
    if how is None:
        if uri.startswith(_DL_GTIN):  # already canonical: check the check digit and that no name is shortened
            m = _CANONICAL_GTIN.fullmatch(uri)
            if m is None or _cd(m[1][:13]) != m[1][13] or uri[40:] in _SHORT_NAMES:
                return None
            return uri
        if not head.startswith(_FAST_SCHEMES):
            return None
        how = _head(head)
        if len(_HEADS) >= 4096:
            _HEADS.clear()
        _HEADS[head] = how
    kind, prefix, extra, size = how
    if kind <= _SGLN:
        if len(rest) > size or not ((rest.isascii() and rest.isalnum()) or _SIMPLE.fullmatch(rest)):
            return None
        return extra if kind == _SGLN and rest == "0" else prefix + rest
    if kind == _SSCC and len(rest) == size and rest.isascii() and rest.isdigit():
        key = rest[0] + extra + rest[1:]
        return prefix + key + _cd(key)
    return None


def common_digital_link(uri: str) -> str | None:
    """The Digital Link of a common GS1 identifier, the same for `identity_key` and `hash_canonical`; None
    for other URIs (ask those then). Remembered, so the identity keys of an event just hashed cost little."""
    key = _AGREED.get(uri)
    if key is None:
        key = _fast(uri)
        if key is not None:
            if len(_AGREED) >= _CACHE_SIZE:
                _AGREED.clear()
            _AGREED[uri] = key
    return key


# --- public API ------------------------------------------------------------------------------------------


def forget_remembered() -> None:
    """Empty the memos of identifiers worked out (up to 65,536 of each): after a long read of events (the trace
    index's build), whose last entries, made late, are scattered over the whole heap and keep the
    allocator from handing it back."""
    _AGREED.clear()
    _identity_key.cache_clear()
    hash_canonical.cache_clear()


# The identity key of a common GS1 identifier already worked out (by the event hash or `identity_key`), or
# None: a bound `dict.get`, for loops that look up every identifier of an event (`lotline.pipeline.prepare`).
known_identity_key: Final = _AGREED.get


def to_digital_link(uri: str) -> str | None:
    """The canonical GS1 Digital Link of a GS1 identifier (EPC URN, EPC class URI, class-level EPC pattern, or
    a Digital Link on any host); None for anything else (private URIs, non-GS1 EPC schemes such as gid).

    Raises IdentifierError for a malformed GS1 identifier, saying what is wrong."""
    if uri.startswith("urn:epc:"):
        return _fast(uri) or _urn_to_dl(uri, True)
    if uri.startswith(("https://", "http://")):
        m = _CANONICAL_GTIN.fullmatch(uri)  # fast path: already canonical (e.g. our own output)
        if m is not None and _cd(m[1][:13]) == m[1][13]:
            return uri
        return _dl_to_dl(uri, True)
    return None


def identity_key(uri: str) -> str:
    """The one key used to index and match an identifier: its canonical Digital Link, else the URI itself.

    The EPC URN and the Digital Link of one object give the same key. Raises IdentifierError like
    `to_digital_link`."""
    key = common_digital_link(uri)  # often remembered from the event hash of the same event
    return key if key is not None else _identity_key(uri)


@lru_cache(maxsize=1 << 16)
def _identity_key(uri: str) -> str:
    return to_digital_link(uri) or uri


@lru_cache(maxsize=1 << 14)
def hash_canonical(value: str) -> str | None:
    """The Digital Link the CBV 2.0 event hash uses for `value`, or None (value kept as it is). Never raises."""
    if "." not in value:
        return None
    fast = _fast(value)
    if fast is not None:
        return fast
    if value.startswith("urn:epc:"):
        return _urn_to_dl(value, False)
    if value.startswith(("https://", "http://")):
        return _dl_to_dl(value, False)
    return None


_PATTERN_AI: Final = {
    "sgtin": "01", "upui": "01", "sscc": "00", "sgln": "414", "grai": "8003", "giai": "8004", "gsrn": "8018",
    "gsrnp": "8017", "gdti": "253", "cpi": "8010", "sgcn": "255", "ginc": "401", "gsin": "402",
    "itip": "8006", "pgln": "417",
}  # fmt: skip


def idpat_like(pattern: str) -> str | None:
    """A SQL LIKE pattern over identity keys for an EPC pattern URI, e.g.

        urn:epc:idpat:sgtin:0614141.107346.*  -> https://id.gs1.org/01/10614141073464%
        urn:epc:idpat:sgtin:0614141.*.*       -> https://id.gs1.org/01/_0614141%   (_ = the indicator digit)
        urn:epc:idpat:sscc:*.*                -> https://id.gs1.org/00/%

    GTIN-based patterns also match the class-level keys of the same GTIN (the GTIN alone, GTIN + lot), as
    EPCIS MATCH_epcClass expects. Patterns of non-GS1 schemes (gid, ...) match their URNs. Returns None when
    `pattern` is not a pattern URI or has no wildcard (it then names one object: use `identity_key`).

    Nothing is escaped: the literal part of a GS1 pattern is digits, except a CPI part reference whose %2F and
    %23 escapes then act as wildcards (over-matching, never missing a key). Keys of private URIs may contain
    `%` and `_`, but a pattern's literal prefix (`https://id.gs1.org/...` or `urn:epc:id:...`) never matches
    them. Raises IdentifierError for a malformed pattern."""
    if not pattern.startswith("urn:epc:idpat:"):
        return None
    scheme, _, body = pattern[14:].partition(":")
    parts = body.split(".")
    if "*" not in parts:
        return None
    fixed = parts[: parts.index("*")]
    if any(p != "*" for p in parts[len(fixed) :]) or any("*" in p for p in fixed):
        raise IdentifierError(f"{pattern!r}: wildcards (*) must be the last parts of an EPC pattern")
    if scheme not in _PATTERN_AI:
        return f"urn:epc:id:{scheme}:" + "".join(p + "." for p in fixed) + "%"
    if len(parts) != _PATTERN_PARTS[scheme]:
        raise IdentifierError(f"{pattern!r}: a {scheme} pattern has {_PATTERN_PARTS[scheme]} parts")
    if fixed and not re.fullmatch(r"\d{6,12}", fixed[0]):
        raise IdentifierError(f"{pattern!r}: the company prefix must have 6 to 12 digits")
    if len(fixed) <= 1:
        indicator = "_" if scheme in ("sgtin", "upui", "itip", "sscc") and fixed else ""
        prefix = f"{DL_ROOT}{_PATTERN_AI[scheme]}/{indicator}{'0' if scheme == 'grai' and fixed else ''}"
        return prefix + "".join(fixed) + "%" + ("/235/%" if scheme == "upui" else "")
    if scheme == "itip":
        if not all(re.fullmatch(r"\d\d", p) for p in fixed[2:]):
            raise IdentifierError(f"{pattern!r}: piece and total are two digits each")
        gtin = _pattern_class(pattern, "sgtin", ".".join(fixed[:2]), True) or ""
        return f"{DL_ROOT}8006/{gtin[-14:]}{''.join(fixed[2:])}%"
    if scheme == "sgln":
        key = fixed[0] + fixed[1]
        if len(key) != 12 or not key.isdigit():
            raise IdentifierError(f"{pattern!r}: company prefix and location reference must have 12 digits")
        return f"{DL_ROOT}414/{key}{_cd(key)}%"
    dl = _pattern_class(pattern, scheme, ".".join(fixed), True) or ""  # sgtin, upui, grai, gdti, sgcn, cpi
    return dl + {"cpi": "/8011/%", "upui": "/235/%"}.get(scheme, "%")
