"""The index's identifiers: a key gets one node for good, and reads back (with the form first captured)
exactly as it was added, whether added one at a time or in a batch, in any script."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lotline.trace import offsets
from lotline.trace.nodes import NodeIds, PrefixedTexts, RawColumn, TextColumn

COLUMNS = [TextColumn, PrefixedTexts]


@pytest.mark.parametrize("column_type", COLUMNS)
def test_texts_read_back_one_by_one_and_in_slices(column_type: type[TextColumn | PrefixedTexts]) -> None:
    column = column_type()
    assert column.append("urn:epc:id:sgtin:0614141.107346.2017") == 0
    column.extend(["https://id.gs1.org/01/09521234543213/10/Löt-1", "", "Ω"])
    column.extend([])
    assert len(column) == 4
    assert column[1] == "https://id.gs1.org/01/09521234543213/10/Löt-1" and column[-1] == "Ω"
    assert column[1:3] == ["https://id.gs1.org/01/09521234543213/10/Löt-1", ""] and list(column)[2] == ""
    assert column[::2] == ["urn:epc:id:sgtin:0614141.107346.2017", ""] and column[-2:] == ["", "Ω"]
    with pytest.raises(IndexError):
        column[4]


def test_first_forms_are_none_where_the_key_itself_was_captured() -> None:
    keys = PrefixedTexts()
    raws = RawColumn(keys)
    keys.extend(["k0", "k1", "k2", "k3"])
    raws.append(None)
    raws.extend(["urn:a", None, "urn:b"])
    assert [raws[i] for i in range(4)] == [None, "urn:a", None, "urn:b"] == raws[:] == raws.pick(range(4))


def test_first_forms_read_back_whether_they_share_the_keys_last_part_or_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(RawColumn, "PREFIXES", 4)  # two prefixes, then forms are kept whole
    keys = PrefixedTexts()
    raws = RawColumn(keys)
    dl = "https://id.gs1.org/01/14012345100041/21/"
    forms = [
        "urn:epc:id:sgtin:4012345.110004.883634",  # the key's last part: a prefix code
        "urn:epc:id:sgtin:4012345.110004.883635",  # the same prefix
        None,
        "urn:epc:id:sgtin:4012345.110004.other",  # not the key's last part: whole
        "urn:epc:class:lgtin:4012345.110004.L1",  # a second prefix
        "urn:epc:id:sscc:4012345.0000000001",  # the table is full: whole
        "urn:epc:id:sgtin:4012345.110004.883639",  # a known prefix still gets its code
    ]
    last = ["883634", "883635", "883636", "883637", "L1", "0000000001", "883639"]
    keys.extend([dl + part for part in last])
    raws.extend(forms[:3])
    for form in forms[3:]:
        raws.append(form)
    assert raws[:] == forms == raws.pick(range(7)) == [raws[i] for i in range(7)]
    shown = [form or dl + part for form, part in zip(forms, last, strict=True)]
    assert raws.shown(list(range(7)), keys) == shown == raws.shown_span(0, 7, keys)
    assert raws.shown([6, 3, 2], keys) == [shown[6], shown[3], shown[2]]
    whole = sum(len(form or "") for form in (forms[3], forms[5]))
    assert raws.nbytes() < 7 * 2 + whole + 64  # two texts held: the forms kept whole


def test_every_key_finds_its_node_and_no_other() -> None:
    keys = PrefixedTexts()
    ids = NodeIds(keys)
    many = [f"https://id.gs1.org/01/09521234543213/21/{n}" for n in range(100_000)]
    keys.extend(many)
    ids.add_many(many, 0)  # merged straight into the sorted columns
    keys.append("late")
    ids.add("late", 100_000)  # through the batch
    assert ids["late"] == 100_000 and ids.get(many[77_777]) == 77_777 and len(ids) == 100_001
    assert ids.get_many([many[5], "unknown", "late"]) == [5, None, 100_000]
    assert "unknown" not in ids and ids.get("unknown") is None
    with pytest.raises(KeyError):
        ids["https://id.gs1.org/01/09521234543213/21/100000"]


def test_keys_whose_hashes_collide_keep_their_own_nodes() -> None:
    class Colliding(str):
        def __hash__(self) -> int:
            return 7

    keys = PrefixedTexts()
    ids = NodeIds(keys)
    for node, key in enumerate([Colliding("a"), Colliding("b"), Colliding("c")]):
        keys.append(key)
        ids.add(key, node)
    assert [ids.get(Colliding(k)) for k in "abcd"] == [0, 1, 2, None]
    assert ids.get_many([Colliding("c"), Colliding("a")]) == [2, 0]


def test_many_texts_and_displays_come_back_in_the_order_asked() -> None:
    keys = PrefixedTexts()
    raws = RawColumn(keys)
    keys.extend(["k0", "k1", "k2", "kö"])
    raws.extend([None, "urn:1", None, "urn:ö"])
    assert keys.many([3, 0, 3]) == ["kö", "k0", "kö"] and keys.many([]) == []
    assert raws.shown([0, 1, 2, 3, 1], keys) == ["k0", "urn:1", "k2", "urn:ö", "urn:1"]
    as_keys = RawColumn(keys)
    as_keys.extend([None, None])  # every identifier captured as its key
    assert as_keys.shown([1, 0], keys) == ["k1", "k0"] and raws.shown([], keys) == []
    empties = PrefixedTexts()
    empties.extend(["", "x", "", "yz", ""])
    assert empties.many([4, 3, 0, 1, 2]) == ["", "yz", "", "x", ""]
    keys.append("grows after a read")


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["https://id.gs1.org/01/1/21/", "k:", "a.b.", ""]),
            st.text(alphabet="ab/.:0ö\x00", max_size=5),
            st.sampled_from(["key", "same last part", "whole"]),
        ),
        min_size=1,
        max_size=30,
    ),
    st.randoms(use_true_random=False),
)
def test_displays_read_back_as_each_form_or_key_whichever_way_it_is_kept(
    nodes: list[tuple[str, str, str]], rng: random.Random
) -> None:
    """Displays are gathered in one go from both prefix tables, the keys' suffixes and the forms kept whole;
    read again after the tables grew (new prefixes), they still match one by one."""
    keys = PrefixedTexts()
    raws = RawColumn(keys)
    half = len(nodes) // 2
    for part in (nodes[:half], nodes[half:]):
        if not part:
            continue
        keys.extend([prefix + tail for prefix, tail, _ in part])
        raws.extend([_form(prefix, tail, how) for prefix, tail, how in part])
        asked = [rng.randrange(len(keys)) for _ in range(len(keys) + 3)]
        assert raws.shown(asked, keys) == [raws[n] or keys[n] for n in asked]


def _form(prefix: str, tail: str, how: str) -> str | None:
    if how == "key":
        return None
    if how == "same last part":
        return f"urn:x:{prefix.count('/')}/{tail.rpartition('/')[2]}"
    return f"whole {prefix}{tail}"


@pytest.mark.parametrize("column_type", COLUMNS)
def test_texts_holding_a_nul_still_come_back_whole(column_type: type[TextColumn | PrefixedTexts]) -> None:
    keys = column_type()
    keys.extend(["a\x00b", "c"])
    assert keys.many([0, 1]) == ["a\x00b", "c"]


@pytest.mark.parametrize("column_type", COLUMNS)
def test_a_span_of_texts_reads_as_the_slice_without_viewing_the_columns(
    column_type: type[TextColumn | PrefixedTexts],
) -> None:
    column = column_type()
    texts = ["urn:epc:id:sgtin:4012345.011111.1", "", "https://id.gs1.org/01/09521234543213/10/Lé", "x", ""]
    column.extend(texts)
    assert column.span(0, 5) == texts
    assert column.span(1, 4) == texts[1:4]
    assert column.span(3, 3) == [] and column.span(5, 9) == []
    column.append("grows after a span")  # (no view of the columns was kept)
    assert column.span(4, 6) == ["", "grows after a span"]


def test_identifiers_keep_their_shared_prefix_once_and_read_back_whole() -> None:
    column = PrefixedTexts()
    texts = [
        "https://id.gs1.org/01/09521234543213/21/1",
        "urn:epc:id:sgtin:4012345.011111.1",
        "https://id.gs1.org/01/09521234543213/21/2",
        "urn:epc:id:sgtin:4012345.011111.22",
        "urn:epc:class:lgtin:4012345.011111.LOT.1",  # (the prefix runs to the last dot)
        "no-separator",
        "https://id.gs1.org/01/09521234543213/21/",  # an empty suffix
        "urn:ö:x",
    ]
    column.extend(texts)
    assert column[:] == texts == column.many(range(len(texts))) == column.span(0, len(texts))
    assert column.pick([7, 0, 7]) == [texts[7], texts[0], texts[7]] and column.pick([]) == []
    _, lengths = column.gather([0, 7, 5])
    assert lengths.tolist() == [len(texts[i].encode()) for i in (0, 7, 5)]
    assert all(column.matches(i, text.encode()) for i, text in enumerate(texts))
    assert not column.matches(0, texts[2].encode()) and not column.matches(5, b"no-separato")
    ids = NodeIds(column)
    ids.add_many(texts, 0)
    assert ids.get_many(texts) == list(range(len(texts)))
    assert column._prefixes == [  # each kept once
        "",
        "https://id.gs1.org/01/09521234543213/21/",
        "urn:epc:id:sgtin:4012345.011111.",
        "urn:epc:class:lgtin:4012345.011111.LOT.",
        "urn:ö:",
    ]


def test_once_the_prefix_table_is_full_new_prefixes_are_kept_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(PrefixedTexts, "PREFIXES", 3)
    column = PrefixedTexts()
    texts = ["a/1", "b/2", "c/3", "a/4", "c/5", "d:6"]
    column.extend(texts)
    assert column[:] == texts and column.many([5, 2, 3]) == ["d:6", "c/3", "a/4"]
    assert column._prefixes == ["", "a/", "b/"] and column._codes.tolist() == [1, 2, 0, 1, 0, 0]
    ids = NodeIds(column)
    ids.add_many(texts, 0)
    assert ids.get("c/5") == 4 and ids.get("c/6") is None


@pytest.mark.parametrize("column_type", COLUMNS)
def test_texts_read_back_after_their_offsets_turn_whole(
    column_type: type[TextColumn | PrefixedTexts], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(offsets, "_SPAN", 100)  # (a block of texts over 64 KiB, in small)
    column = column_type()
    texts = [f"https://id.gs1.org/01/09521234543213/21/{n:05}" for n in range(30)]
    column.extend(texts[:10])
    for text in texts[10:20]:
        column.append(text)
    column.extend(texts[20:])
    assert list(column) == texts == column[:] == column.many(range(30)) == column.span(0, 30)
    assert column.many([29, 0, 15]) == [texts[29], texts[0], texts[15]]
