"""The files source: take completely written files from a watched folder, archive them once lotline has
kept them, and move those that cannot be read to the error folder with the reason beside them.

Completely written: a file is taken when its size and modification time have not changed between two
looks at the folder and for `settle_time` (by the modification time's age, or by our own clock when the
file's clock is off). Names writers use while writing are ignored (`ignore`: `*.part`, `*.tmp`, dot
files, ...), so "write under a temporary name, then rename into place" works at any settle time; with
`ready_marker` a file is taken only once its marker exists. The size and time are checked again after
reading, so a file that changed meanwhile is read again later.

Message ids are `<file name>@sha256:<digest>` (with `/<index>` per record), so a file delivered again
after a crash is recognised by the inbox. When every message of a file is acknowledged the file (and its
marker) moves to `<archive>/<YYYY-MM-DD>/`; `ack(error)` leaves it in place to be read again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import fnmatch
import hashlib
import logging
import os
import shutil
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from lotline.connectors.base import Ack, Check, Lifecycle, Message
from lotline.connectors.files.config import FilesConfig
from lotline.connectors.files.formats import Dialect, Unreadable, format_of, records

log = logging.getLogger("lotline.connectors.files")

Stat = tuple[int, int]  # size, mtime in ns


@dataclass(slots=True)
class _Taken:
    """A file whose messages are out: settled when `pending` reaches 0."""

    name: str
    digest: str
    pending: int
    failed: bool = False
    void: bool = False  # moved away (error folder) or the source closed: late acks do nothing


class FilesSource(Lifecycle):
    """Reads one watched folder (see the module docstring)."""

    def __init__(self, config: FilesConfig) -> None:
        self.config = config
        self._dialect = Dialect(config.encoding, config.csv_delimiter, config.csv_quotechar)
        self._seen: dict[str, tuple[Stat, float]] = {}  # name -> (stat, since when unchanged: monotonic)
        self._taken: dict[str, _Taken] = {}
        self._queue: deque[tuple[Message, Ack]] = deque()
        self._connected = False

    # --- lifecycle ----------------------------------------------------------------------------------------

    async def connect(self) -> None:
        if self._connected:
            return
        await asyncio.to_thread(self._prepare)
        self._connected = True

    async def close(self) -> None:
        """Unsettled files stay in the folder: the next source reads them again (same message ids)."""
        self._connected = False
        for taken in self._taken.values():
            taken.void = True
        self._taken.clear()
        self._queue.clear()
        self._seen.clear()

    async def check(self) -> Check:
        folder = self.config.folder
        problem = await asyncio.to_thread(_folder_problem, folder)
        if problem:
            return Check(False, problem)
        waiting = await asyncio.to_thread(lambda: sum(1 for name in _names(folder) if self._wanted(name)))
        return Check(True, f"folder {folder}: {waiting} file(s) waiting")

    # --- reading ------------------------------------------------------------------------------------------

    async def read(self) -> tuple[Message, Ack]:
        while True:
            if not self._connected:
                raise RuntimeError("read() before connect() or after close()")
            if self._queue:
                return self._queue.popleft()
            for name in await asyncio.to_thread(self._ready):
                if name in self._taken:
                    continue
                messages = await asyncio.to_thread(self._take, name)
                if messages:
                    taken = _Taken(name, messages[0].headers["file-digest"], len(messages))
                    self._taken[name] = taken
                    self._queue.extend((m, self._settler(taken)) for m in messages)
                    break
            if not self._queue:
                await asyncio.sleep(self.config.poll_interval)

    def _settler(self, taken: _Taken) -> Ack:
        settled = False

        async def ack(error: BaseException | None = None, /) -> None:
            nonlocal settled
            if settled or taken.void:
                return
            settled = True
            taken.failed = taken.failed or error is not None
            taken.pending -= 1
            if taken.pending > 0:
                return
            self._taken.pop(taken.name, None)
            if not taken.failed:  # after ack(error) the file stays, to be read again
                await asyncio.to_thread(self._archive, taken.name)

        return ack

    async def move_to_error(self, message: Message, reason: str) -> Path | None:
        """Move the file `message` came from to the error folder with `<name>.error.txt` (the reason), e.g.
        when its message was dead-lettered and the file should not wait in the folder. Acks still due for
        the file's other messages are ignored. Returns where it went, or None if it is no longer there."""
        name = message.headers.get("filename", "")
        taken = self._taken.pop(name, None)
        if taken is not None:
            taken.void = True
        digest = message.headers.get("file-digest", "")
        return await asyncio.to_thread(self._to_error, name, digest, reason)

    # --- the folder, in a worker thread -------------------------------------------------------------------

    def _prepare(self) -> None:
        problem = _folder_problem(self.config.folder)
        if problem:
            raise FileNotFoundError(problem)
        for folder in (self.config.archive, self.config.errors):
            folder.mkdir(parents=True, exist_ok=True)
        self._seen.clear()

    def _wanted(self, name: str) -> bool:
        marker = self.config.ready_marker
        if marker and name.endswith(marker):
            return False
        if any(fnmatch.fnmatchcase(name, p) for p in self.config.ignore):
            return False
        return any(fnmatch.fnmatchcase(name, p) for p in self.config.patterns)

    def _ready(self) -> list[str]:
        """Names of the files that are completely written, oldest first."""
        wall, now = time.time(), time.monotonic()
        settle = self.config.settle_time
        ready: list[tuple[int, str]] = []
        present: set[str] = set()
        for name in _names(self.config.folder):
            if not self._wanted(name) or name in self._taken:
                continue
            stat = _stat(self.config.folder / name)
            if stat is None:
                continue
            present.add(name)
            seen = self._seen.get(name)
            if seen is None or seen[0] != stat:
                self._seen[name] = (stat, now)  # first look, or it changed: wait
                continue
            if now - seen[1] < settle and wall - stat[1] / 1e9 < settle:
                continue
            marker = self.config.ready_marker
            if marker and not (self.config.folder / f"{name}{marker}").is_file():
                continue
            ready.append((stat[1], name))
        self._seen = {name: seen for name, seen in self._seen.items() if name in present}
        return [name for _, name in sorted(ready)]

    def _take(self, name: str) -> list[Message]:
        path = self.config.folder / name
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return []
        if _stat(path) != self._seen.get(name, (None,))[0]:
            self._seen.pop(name, None)  # written to while we read it: look again later
            return []
        digest = f"sha256:{hashlib.sha256(data).hexdigest()}"
        fmt = format_of(self.config.format, name)
        try:
            found = records(data, fmt, self.config.split == "record", self._dialect)
        except Unreadable as exc:
            self._to_error(name, digest, f"cannot read it as {fmt}: {exc}")
            return []
        if not found:
            log.info("files %s: %s has no records; archived", self.config.source_name, name)
            self._archive(name)
            return []
        base = f"{name}@{digest[:39]}"  # sha256: and 32 hex digits (128 bits)
        return [
            Message(
                source=self.config.source_name,
                message_id=base if record.index is None else f"{base}/{record.index}",
                payload=record.payload,
                topic=name,
                headers={
                    **record.headers,
                    "filename": name,
                    "file-digest": digest,
                    **({} if record.index is None else {"record-index": str(record.index)}),
                },
            )
            for record in found
        ]

    def _archive(self, name: str) -> None:
        folder = self.config.archive / dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")
        try:
            folder.mkdir(parents=True, exist_ok=True)
            _move(self.config.folder / name, folder / name)
            if self.config.ready_marker:
                marker = f"{name}{self.config.ready_marker}"
                _move(self.config.folder / marker, folder / marker, missing_ok=True)
        except OSError as exc:  # it stays: read again later, recognised by the inbox, archived then
            log.warning("files %s: cannot archive %s: %s", self.config.source_name, name, exc)
        self._seen.pop(name, None)

    def _to_error(self, name: str, digest: str, reason: str) -> Path | None:
        source = self.config.folder / name
        if not name or not source.is_file():
            return None
        folder = self.config.errors
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / name
        if target.exists():  # an earlier file of the same name failed too: keep both
            target = folder / f"{Path(name).stem}.{digest.removeprefix('sha256:')[:8]}{Path(name).suffix}"
        _move(source, target)
        if self.config.ready_marker:
            _move(
                self.config.folder / f"{name}{self.config.ready_marker}",
                folder / f"{target.name}{self.config.ready_marker}",
                missing_ok=True,
            )
        when = dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        note = f"file: {name}\ndigest: {digest}\nsource: {self.config.source_name}\nfailed at: {when}\n"
        Path(f"{target}.error.txt").write_text(f"{note}reason: {reason}\n", encoding="utf-8")
        log.warning("files %s: %s moved to %s: %s", self.config.source_name, name, folder, reason)
        self._seen.pop(name, None)
        return target


def _names(folder: Path) -> list[str]:
    try:
        with os.scandir(folder) as entries:
            return [e.name for e in entries if e.is_file(follow_symlinks=False)]
    except FileNotFoundError:
        return []


def _stat(path: Path) -> Stat | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_size, st.st_mtime_ns


def _move(source: Path, target: Path, *, missing_ok: bool = False) -> None:
    if missing_ok and not source.exists():
        return
    shutil.move(source, target)


def _folder_problem(folder: Path) -> str | None:
    """What keeps lotline from using the folder, or None."""
    if not folder.exists():
        return f"folder {folder} does not exist"
    if not folder.is_dir():
        return f"{folder} is not a folder"
    if not os.access(folder, os.R_OK | os.W_OK | os.X_OK):
        return f"folder {folder} is not readable and writable by this process (files are moved out of it)"
    return None
