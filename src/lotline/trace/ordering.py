"""The nodes of the trace index in the order of their displayed identifiers (results are sorted by it),
without a Python string for each.

Sorting the displayed identifiers as strings held all of them at once: about 100 bytes each, 3 GB at ten
million events, for a moment of the index's build. Here none is made for the sort: an identifier is
displayed as a head and a tail of bytes kept in the graph's columns (a prefix from one of the two prefix
tables, `PrefixedTexts` and `RawColumn`, and the key's suffix; or, for a form kept whole, no head and the
whole form), and strings compare as their UTF-8 bytes do. Strings with different prefixes, neither a prefix
of the other, compare as their prefixes do: so the distinct prefixes are sorted (a few hundred) into
clusters, a prefix with those it begins, and the nodes of each cluster sorted by their bytes in numpy,
laid out in rows of one width: the suffix alone where the cluster has one prefix (most of them), else head
and tail (a prefix that begins another, `https://id.gs1.org/01/` and
`https://id.gs1.org/01/09521234543213/21/`; forms kept whole, clustered by the prefix of their text).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from lotline.trace.csr import grouping
from lotline.trace.nodes import _cut, copy_ranges
from lotline.trace.pacing import Pause

if TYPE_CHECKING:
    from lotline.trace.graph import Graph

Ints = npt.NDArray[np.signedinteger[Any]]  # int32 where node numbers fit
Bytes = npt.NDArray[np.uint8]
_PIECE = 1 << 16  # forms cut at a time; bytes laid out at a time (their index arrays: 30 bytes a byte)


def display_order(graph: Graph, nodes: int, pause: Pause | None = None, *, copy: bool = True) -> Ints:
    """Nodes 0 .. nodes - 1 in the order of `graph.display(node)` (ties by node number). Reads copies of the
    columns, safe on a thread without the index's lock for nodes the graph held when it was asked; with
    `copy=False` the identifiers' bytes in place, for a caller that holds the lock (hundreds of megabytes
    fewer at the peak of the index's build)."""
    raw_codes = graph.raws.codes(nodes)
    key_codes = graph.keys.codes(nodes)
    whole_nodes, whole_column = graph.raws.whole(nodes)
    bare = np.flatnonzero((raw_codes == 0) & (key_codes == 0))  # keys kept whole (no prefix, or table full)
    # a prefix per node, as an index into `texts` (the distinct prefix strings); for forms and keys kept
    # whole, the prefix of their text, cut as the tables cut them
    ids: dict[str, int] = {}
    raw_ids = np.array([ids.setdefault(p, len(ids)) for p in graph.raws.prefixes], dtype=np.int32)
    key_ids = np.array([ids.setdefault(p, len(ids)) for p in graph.keys.prefixes], dtype=np.int32)
    prefix = np.where(raw_codes >= 2, raw_ids[raw_codes], key_ids[key_codes])
    for a in range(0, len(whole_nodes), _PIECE):
        texts = whole_column.span(a, min(a + _PIECE, len(whole_nodes)))
        prefix[whole_nodes[a : a + _PIECE]] = [ids.setdefault(t[: _cut(t)], len(ids)) for t in texts]
    for a in range(0, len(bare), _PIECE):
        texts = graph.keys.suffix_column.pick(bare[a : a + _PIECE].tolist())
        prefix[bare[a : a + _PIECE]] = [ids.setdefault(t[: _cut(t)], len(ids)) for t in texts]
    # clusters of the prefixes in use only (the tables' empty prefix begins every other one); a cluster is
    # plain if it has one prefix and no form or key kept whole: its suffixes alone decide
    texts = list(ids)
    used = np.unique(prefix)
    cluster = np.zeros(len(texts), dtype=np.int32)
    cluster[used] = _clusters([texts[i] for i in used.tolist()])  # by prefix id: the rank of its cluster
    clusters = int(cluster.max()) + 1 if len(cluster) else 0
    of_node = cluster[prefix]
    del prefix
    plain = np.bincount(cluster[used], minlength=clusters) == 1
    plain[of_node[whole_nodes]] = False
    plain[of_node[bare]] = False
    del bare
    ptr, by_cluster = grouping(of_node, clusters)
    del of_node
    keys = graph.keys.suffix_column.frozen(nodes, copy=copy)
    whole = (whole_nodes, *whole_column.frozen(len(whole_nodes), copy=copy))
    heads = graph.raws.heads(graph.keys)
    order: Ints = np.empty(nodes, dtype=by_cluster.dtype)
    for c, (start, stop) in enumerate(zip(ptr[:-1].tolist(), ptr[1:].tolist(), strict=True)):
        if start == stop:
            continue
        if pause is not None:
            pause()
        members = by_cluster[start:stop]
        if plain[c]:
            order[start:stop] = members[_by_bytes(*keys, members)]
        else:
            order[start:stop] = members[_by_text(graph, members, raw_codes, key_codes, heads, keys, whole)]
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


def _by_bytes(data: Bytes, ends: npt.NDArray[np.integer[Any]], members: Ints) -> Ints:
    """The order of the members' suffixes, compared as bytes (stable)."""
    starts = ends[members]  # (in the offsets' own type, 4 bytes while they fit: a member's are read twice)
    lengths = ends[members + 1] - starts
    laid = np.zeros((len(members), max(int(lengths.max()), 1)), dtype=np.uint8)
    _lay(laid, np.arange(len(members)), data, starts, lengths, np.zeros(len(members), dtype=np.int64))
    return _argsort_rows(laid)


def _by_text(
    graph: Graph,
    members: Ints,
    raw_codes: npt.NDArray[np.uint16],
    key_codes: npt.NDArray[np.uint16],
    heads: tuple[Bytes, npt.NDArray[np.int64]],
    keys: tuple[Bytes, npt.NDArray[np.integer[Any]]],
    whole: tuple[Ints, Bytes, npt.NDArray[np.integer[Any]]],
) -> Ints:
    """The order of the members' displayed identifiers, compared as bytes (stable): each laid out as its head
    and then its tail (the key's suffix, or the form kept whole)."""
    head_data, head_ends = heads
    raw = raw_codes[members]
    head = graph.raws.head_of(raw, key_codes[members])
    head_start = head_ends[head]
    head_length = head_ends[head + 1] - head_start
    del head
    kept = np.flatnonzero(raw == 1)  # the members whose tails are their forms kept whole
    in_keys = np.flatnonzero(raw != 1)
    del raw
    whole_nodes, whole_data, whole_ends = whole
    at = np.searchsorted(whole_nodes, members[kept])
    tails = (
        (in_keys, keys[0], keys[1][members[in_keys]], keys[1][members[in_keys] + 1]),
        (kept, whole_data, whole_ends[at], whole_ends[at + 1]),
    )
    width = 1
    for rows, _data, starts, stops in tails:
        if len(rows):
            width = max(width, int((head_length[rows] + (stops - starts)).max()))
    laid = np.zeros((len(members), width), dtype=np.uint8)
    _lay(laid, np.arange(len(members)), head_data, head_start, head_length, np.zeros(len(members), np.int64))
    for rows, data, starts, stops in tails:
        _lay(laid, rows, data, starts, stops - starts, head_length[rows])
    return _argsort_rows(laid)


def _lay(
    laid: Bytes,
    rows: Ints,
    data: Bytes,
    starts: npt.NDArray[np.integer[Any]],
    lengths: npt.NDArray[np.integer[Any]],
    at: npt.NDArray[np.integer[Any]],
) -> None:
    """Copy data[starts[i] : starts[i] + lengths[i]] into row rows[i] of `laid`, from column at[i]."""
    flat_at = rows.astype(np.int64) * laid.shape[1] + at
    copy_ranges(laid.reshape(-1), flat_at, data, starts, lengths, _PIECE)


def _argsort_rows(laid: Bytes) -> Ints:
    """The order of the rows of `laid` compared as bytes (stable)."""
    return np.argsort(laid.view(f"S{laid.shape[1]}").ravel(), kind="stable")
