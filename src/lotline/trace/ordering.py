"""The nodes of the trace index in the order of their displayed identifiers (results are sorted by it),
without a Python string for each.

Sorting the displayed identifiers as strings held all of them at once: about 100 bytes each, 3 GB at ten
million events, for a moment of the index's build. Here most are never made: an identifier is displayed as
a prefix from one of the two prefix tables (`PrefixedTexts`, `RawColumn`) and the key's suffix, and
strings with different prefixes, neither a prefix of the other, compare as their prefixes do. So the
distinct prefixes are sorted (a few hundred), and the nodes of each prefix sorted by their suffixes' bytes
in numpy (UTF-8 bytes sort as the code points do). Where one prefix begins another
(`https://id.gs1.org/01/` and `https://id.gs1.org/01/09521234543213/21/`), or a form is kept whole, the
nodes of those prefixes are sorted as strings, as before: the result is the same order either way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from lotline.trace.csr import small_int
from lotline.trace.nodes import _cut
from lotline.trace.pacing import Pause

if TYPE_CHECKING:
    from lotline.trace.graph import Graph

Ints = npt.NDArray[np.signedinteger[Any]]  # int32 where node numbers fit
_PIECE = 1 << 16  # suffixes laid out in fixed width at a time (their index arrays: 30 bytes a byte)


def display_order(graph: Graph, nodes: int, pause: Pause | None = None) -> Ints:
    """Nodes 0 .. nodes - 1 in the order of `graph.display(node)` (ties by node number). Reads copies of the
    columns: safe on a thread without the index's lock, for nodes the graph held when it was asked."""
    raw_codes = graph.raws.codes(nodes)
    key_codes = graph.keys.codes(nodes)
    # a prefix per node, as an index into `texts` (the distinct prefix strings)
    ids: dict[str, int] = {}
    raw_ids = np.array([ids.setdefault(p, len(ids)) for p in graph.raws.prefixes], dtype=np.int32)
    key_ids = np.array([ids.setdefault(p, len(ids)) for p in graph.keys.prefixes], dtype=np.int32)
    prefix = np.where(raw_codes >= 2, raw_ids[raw_codes], key_ids[key_codes])
    # forms kept whole, and keys kept whole (no prefix, or the table was full): split here, as strings
    odd = np.flatnonzero((raw_codes == 1) | ((raw_codes == 0) & (key_codes == 0)))
    del raw_codes, key_codes
    odd_texts = [graph.display(n) for n in odd.tolist()]
    prefix[odd] = [ids.setdefault(text[: _cut(text)], len(ids)) for text in odd_texts]
    is_odd = np.zeros(nodes, dtype=np.bool_)
    is_odd[odd] = True

    def text(n: int) -> str:
        return odd_texts[int(np.searchsorted(odd, n))] if is_odd[n] else graph.display(n)

    # clusters of the prefixes in use only (the tables' empty prefix begins every other one)
    texts = list(ids)
    used = np.unique(prefix)
    cluster = np.zeros(len(texts), dtype=np.int32)
    cluster[used] = _clusters([texts[i] for i in used.tolist()])  # by prefix id: the rank of its cluster
    of_node = cluster[prefix]
    counts = np.bincount(of_node, minlength=int(cluster.max()) + 1 if len(cluster) else 0)
    by_cluster = np.argsort(of_node, kind="stable").astype(np.int32)
    del of_node
    data, ends = graph.keys.suffix_column.frozen(nodes)
    order: Ints = np.empty(nodes, dtype=small_int(nodes))
    start = 0
    for count in counts.tolist():
        if not count:
            continue
        if pause is not None:
            pause()
        members = by_cluster[start : start + count]
        if len(np.unique(prefix[members])) == 1 and not is_odd[members].any():
            order[start : start + count] = members[_by_bytes(data, ends, members)]
        else:  # prefixes that begin one another, or forms kept whole: as strings
            shown = [text(n) for n in members.tolist()]
            order[start : start + count] = members[np.array(sorted(range(count), key=shown.__getitem__))]
        start += count
    return order


def _clusters(texts: list[str]) -> Ints:
    """For each prefix, the rank of its cluster: prefixes sorted, a cluster being a prefix and those that
    begin with it (their identifiers interleave), clusters in the order of their first prefix."""
    ranked = sorted(range(len(texts)), key=texts.__getitem__)
    cluster = np.zeros(len(texts), dtype=np.int64)
    rank, root = -1, None
    for i in ranked:
        if root is None or not texts[i].startswith(root):
            rank, root = rank + 1, texts[i]
        cluster[i] = rank
    return cluster


def _by_bytes(data: npt.NDArray[np.uint8], ends: npt.NDArray[np.integer[Any]], members: Ints) -> Ints:
    """The order of the members' suffixes, compared as bytes (stable)."""
    starts = ends[members]  # (in the offsets' own type, 4 bytes while they fit: a member's are read twice)
    lengths = ends[members + 1] - starts
    width = max(int(lengths.max()), 1)
    laid = np.zeros((len(members), width), dtype=np.uint8)
    for a in range(0, len(members), _PIECE):
        b = min(a + _PIECE, len(members))
        n = lengths[a:b].astype(np.int64)
        rows = np.repeat(np.arange(a, b, dtype=np.int64), n)
        first = np.cumsum(n) - n
        cols = np.arange(int(n.sum()), dtype=np.int64) - np.repeat(first, n)
        laid[rows, cols] = data[np.repeat(starts[a:b].astype(np.int64), n) + cols]
    return np.argsort(laid.view(f"S{width}").ravel(), kind="stable")
