"""From the canonical form back: the EPC URN of a GS1 identifier (`to_epc_urn`, for `GS1-EPC-Format:
Always_EPC_URN`), with the grammar of `lotline.epcis.identifiers`."""

from __future__ import annotations

from lotline.epcis.identifiers import _split_dl, _urn_text, to_digital_link
from lotline.errors import IdentifierError

__all__ = ["to_epc_urn"]


def to_epc_urn(uri: str, gcp_length: int | None = None) -> str | None:
    """The EPC URN of a GS1 identifier (for `GS1-EPC-Format: Always_EPC_URN`).

    An EPC URN is returned as it is. A Digital Link needs the length of its GS1 company prefix: without
    `gcp_length` the answer is None (keep the Digital Link). Class-level links give the EPC class URI
    (`urn:epc:class:lgtin:...`) or pattern URI (`urn:epc:idpat:sgtin:...*`). None for non-GS1 URIs."""
    if uri.startswith("urn:epc:"):
        return uri
    dl = to_digital_link(uri)
    if dl is None or gcp_length is None:
        return None
    if not 6 <= gcp_length <= 12:
        raise IdentifierError(f"a GS1 company prefix has 6 to 12 digits, not {gcp_length}")
    ai, key, quals = _split_dl(dl, True) or ("", "", [])
    values = dict(zip(quals[::2], quals[1::2], strict=True))
    n, urn = gcp_length, _urn_text
    if not key[: n + (ai in ("01", "8006", "00", "8003"))].isdigit():
        raise IdentifierError(f"{dl}: the key does not start with a {n}-digit company prefix")

    if ai in ("01", "8006"):
        cp, ref = key[1 : 1 + n], key[0] + key[1 + n : 13]
        if ai == "8006":
            piece, total = key[14:16], key[16:18]
            if "21" in values:
                return f"urn:epc:id:itip:{cp}.{ref}.{piece}.{total}.{urn(values['21'])}"
            return None if values else f"urn:epc:idpat:itip:{cp}.{ref}.{piece}.{total}.*"
        for name, prefix in (("21", "id:sgtin"), ("10", "class:lgtin"), ("235", "id:upui")):
            if name in values:
                return f"urn:epc:{prefix}:{cp}.{ref}.{urn(values[name])}"
        return f"urn:epc:idpat:sgtin:{cp}.{ref}.*"
    if ai == "00":
        return f"urn:epc:id:sscc:{key[1 : 1 + n]}.{key[0]}{key[1 + n : 17]}"
    if ai == "414":
        return f"urn:epc:id:sgln:{key[:n]}.{key[n:12]}.{urn(values.get('254', '0'))}"
    if ai in ("417", "402", "8017", "8018"):
        scheme = {"417": "pgln", "402": "gsin", "8017": "gsrnp", "8018": "gsrn"}[ai]
        return f"urn:epc:id:{scheme}:{key[:n]}.{key[n:-1]}"
    if ai in ("8004", "401"):
        return f"urn:epc:id:{'giai' if ai == '8004' else 'ginc'}:{key[:n]}.{urn(key[n:])}"
    if ai == "8010":
        serial = values.get("8011")
        return f"urn:epc:{'id' if serial else 'idpat'}:cpi:{key[:n]}.{key[n:]}.{serial or '*'}"
    head = key[1:] if ai == "8003" else key  # 253 GDTI, 255 GCN, 8003 GRAI: 13 digits, then the serial
    scheme = {"253": "gdti", "255": "sgcn", "8003": "grai"}[ai]
    serial = head[13:]
    kind = "id" if serial else "idpat"
    return f"urn:epc:{kind}:{scheme}:{head[:n]}.{head[n:12]}.{urn(serial) if serial else '*'}"
