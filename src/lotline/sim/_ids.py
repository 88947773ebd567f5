"""GS1 identifiers for the simulated plant: check digits, EPC URNs and their GS1 Digital Link twins."""

from __future__ import annotations

DL = "https://id.gs1.org/"


def check_digit(digits: str) -> str:
    """The GS1 mod-10 check digit of `digits` (weights 3, 1, 3, ... from the right)."""
    data = digits.encode("ascii")
    odd, even = data[-1::-2], data[-2::-2]  # byte values: digit + 48
    total = 3 * (sum(odd) - 48 * len(odd)) + sum(even) - 48 * len(even)
    return str(-total % 10)


class Gtin:
    """A GTIN with the prefixes needed to write its lots and serials in either form.

    `item_ref` is the indicator digit followed by the item reference (13 - len(gcp) digits).
    """

    __slots__ = ("dl", "gtin14", "lgtin", "sgtin")

    def __init__(self, gcp: str, item_ref: str) -> None:
        if len(gcp) + len(item_ref) != 13 or not (gcp + item_ref).isdigit():
            raise ValueError(f"bad GTIN parts {gcp}.{item_ref}")
        body = item_ref[0] + gcp + item_ref[1:]
        self.gtin14 = body + check_digit(body)
        self.lgtin = f"urn:epc:class:lgtin:{gcp}.{item_ref}."
        self.sgtin = f"urn:epc:id:sgtin:{gcp}.{item_ref}."
        self.dl = f"{DL}01/{self.gtin14}/"

    def lot(self, lot: str) -> tuple[str, str]:
        """(LGTIN URN, Digital Link) of one lot of this GTIN."""
        return self.lgtin + lot, f"{self.dl}10/{lot}"


def gln(gcp: str, ref: int) -> str:
    """The 13-digit GLN of location/party reference `ref` under company prefix `gcp`."""
    body = f"{gcp}{ref:0{12 - len(gcp)}d}"
    return body + check_digit(body)


def sgln(gcp: str, ref: int, extension: str = "0") -> str:
    return f"urn:epc:id:sgln:{gcp}.{ref:0{12 - len(gcp)}d}.{extension}"


def pgln(gcp: str, ref: int) -> str:
    return f"urn:epc:id:pgln:{gcp}.{ref:0{12 - len(gcp)}d}"


def sscc(gcp: str, extension: int, serial: int) -> tuple[str, str]:
    """(SSCC URN, Digital Link) of a pallet: extension digit + company prefix + serial reference."""
    ref = f"{extension}{serial:0{16 - len(gcp)}d}"
    if len(ref) != 17 - len(gcp):
        raise ValueError(f"SSCC serial {serial} too large for company prefix {gcp}")
    body = ref[0] + gcp + ref[1:]
    return f"urn:epc:id:sscc:{gcp}.{ref}", f"{DL}00/{body}{check_digit(body)}"


def gdti(gcp: str, doc_type: int, serial: int) -> str:
    return f"urn:epc:id:gdti:{gcp}.{doc_type:0{12 - len(gcp)}d}.{serial}"


def giai(gcp: str, asset: str) -> str:
    return f"urn:epc:id:giai:{gcp}.{asset}"


def biz_transaction(issuer_gln: str, number: str) -> str:
    """A CBV 2.0 business transaction identifier issued by the party or location `issuer_gln`."""
    return f"urn:epcglobal:cbv:bt:{issuer_gln}:{number}"
