"""The other parties of benchmarks/ingest.py: the broker, the publisher, the baseline subscriber, Node-RED and
the HTTP sink it posts to. Nothing here imports lotline.

The publisher runs as its own process (`python benchmarks/ingest_peers.py publish ...`) so that it does not
share lotline's interpreter (and its GIL). Message i is a filler "lot finished" record in plain JSON,

    {"id": "<prefix>-<i>", "line": "FILL-1", "gtin": "04012345011118", "itemRef": "011111",
     "lot": "L<prefix>-<i>", "count": 2400, "bestBefore": "2027-06-01", "ts": <ms>, "sent": <unix s>}

with the MQTT 5 user property `message-id: <id>`; `sent` is stamped right before the publish call.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
from loopback import free_port, wait_port
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

ID_PROPERTY = "message-id"
WINDOW = 10_000  # unconfirmed publishes at most: paho's packet ids must not wrap onto one still in use


# --- the broker ------------------------------------------------------------------------------------------


@contextmanager
def mosquitto(directory: Path) -> Iterator[int]:
    """A private Mosquitto on a free loopback port: no queue limit (the default of 1,000 queued messages per
    client silently drops QoS 1 messages in a burst), no in-flight limit of its own (the subscriber's MQTT 5
    receive maximum decides), no persistence (nothing restarts here)."""
    if shutil.which("mosquitto") is None:
        raise SystemExit("benchmarks/ingest.py needs the mosquitto executable (apt-get install mosquitto)")
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    conf = directory / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\nmax_inflight_messages 0\n"
        f"persistence false\nlog_dest file {directory}/mosquitto.log\n"
    )
    process = subprocess.Popen(["mosquitto", "-c", str(conf)], stderr=subprocess.DEVNULL)
    try:
        wait_port(port, 10, process)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- the publisher process -------------------------------------------------------------------------------


def payload(prefix: str, i: int) -> dict[str, object]:
    return {
        "id": f"{prefix}-{i}",
        "line": "FILL-1",
        "gtin": "04012345011118",
        "itemRef": "011111",
        "lot": f"L{prefix}-{i}",
        "count": 2400,
        "bestBefore": "2027-06-01",
        "ts": 1764590400000 + i,
    }


def publish(port: int, topic: str, count: int, rate: float, prefix: str) -> dict[str, float]:
    """Publish `count` messages at `rate` per second (0: as fast as possible), QoS 1, and wait for every
    PUBACK. Returns what it did (published, seconds, achieved rate)."""
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{prefix}", protocol=paho.MQTTv5)
    client.max_inflight_messages_set(0)  # paho scans its queue of waiting messages on every PUBACK
    client.max_queued_messages_set(0)
    acks = [0]
    client.on_publish = lambda c, u, mid, rc, p: acks.__setitem__(0, acks[0] + 1)
    client.connect("127.0.0.1", port)
    client.loop_start()
    infos = []
    started = time.perf_counter()
    deadline = time.monotonic() + max(120.0, 3 * count / rate if rate else 0.0)
    for i in range(count):
        if rate:
            due = started + i / rate
            if (ahead := due - time.perf_counter()) > 0.001:
                time.sleep(ahead)
        while i - acks[0] >= WINDOW and time.monotonic() < deadline:
            time.sleep(0.001)
        doc = payload(prefix, i)
        props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
        props.UserProperty = [(ID_PROPERTY, str(doc["id"]))]
        doc["sent"] = time.time()
        infos.append(client.publish(topic, json.dumps(doc).encode(), qos=1, properties=props))
    sent = time.perf_counter() - started
    for info in infos:
        info.wait_for_publish(max(1.0, deadline - time.monotonic()))
    client.disconnect()
    client.loop_stop()
    confirmed = sum(1 for info in infos if info.is_published())
    return {"published": confirmed, "seconds": sent, "rate": count / sent if sent else 0.0}


def publisher_command(port: int, topic: str, count: int, rate: float, prefix: str) -> list[str]:
    return [sys.executable, __file__, "publish", str(port), topic, str(count), str(rate), prefix]


# --- the baseline: a minimal paho subscriber that INSERTs payloads -----------------------------------------


@dataclass
class Baseline:
    """paho (automatic PUBACK) + one writer thread: every ~5 ms, the payloads received so far go into a SQLite
    table with one executemany INSERT and a commit (WAL, synchronous=NORMAL, as lotline). No parsing, mapping,
    validation, identity or dedupe: the floor of keeping MQTT messages in SQLite from Python."""

    port: int
    db: Path
    topic: str
    client_id: str
    rows: int = 0
    commits: list[tuple[int, float]] = field(default_factory=list)  # (rows so far, commit time)
    _incoming: list[bytes | bytearray] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)

    def create_session(self) -> None:
        """Connect once with a persistent session and subscribe, then leave: the broker queues for it."""
        subscribed = threading.Event()
        client = self._client()
        client.on_subscribe = lambda c, u, mid, rc, p: subscribed.set()
        client.subscribe(self.topic, qos=1)
        if not subscribed.wait(10):
            raise SystemExit("baseline subscriber: no SUBACK")
        client.disconnect()
        client.loop_stop()

    def _client(self) -> paho.Client:
        """Connected, resuming the persistent session (which has the subscription)."""
        client = paho.Client(CallbackAPIVersion.VERSION2, client_id=self.client_id, protocol=paho.MQTTv5)
        connected = threading.Event()
        client.on_connect = lambda c, u, f, rc, p: connected.set()
        client.on_message = self._message
        props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        props.SessionExpiryInterval = 3600
        client.connect("127.0.0.1", self.port, clean_start=False, properties=props)
        client.loop_start()
        if not connected.wait(10):
            raise SystemExit("baseline subscriber: no CONNACK")
        return client

    def _message(self, client: paho.Client, userdata: Any, msg: paho.MQTTMessage) -> None:
        with self._lock:
            self._incoming.append(msg.payload)

    def run_until(self, count: int, timeout: float) -> float:
        """Receive and store until `count` rows are committed; returns the seconds it took."""
        con = sqlite3.connect(self.db, isolation_level=None, check_same_thread=False)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=NORMAL")
        con.execute("CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY, payload BLOB NOT NULL)")
        started = time.perf_counter()
        client = self._client()
        deadline = time.monotonic() + timeout
        try:
            while self.rows < count and time.monotonic() < deadline:
                with self._lock:
                    batch, self._incoming = self._incoming, []
                if not batch:
                    time.sleep(0.005)
                    continue
                con.execute("BEGIN")
                con.executemany("INSERT INTO messages (payload) VALUES (?)", [(p,) for p in batch])
                con.execute("COMMIT")
                self.rows += len(batch)
                self.commits.append((self.rows, time.time()))
            return time.perf_counter() - started
        finally:
            client.disconnect()
            client.loop_stop()
            con.close()

    def latencies(self) -> list[tuple[str, float]]:
        """(message id, seconds from `sent` to the commit that stored the row), in row order."""
        con = sqlite3.connect(self.db)
        payloads = [r[0] for r in con.execute("SELECT payload FROM messages ORDER BY id")]
        con.close()
        out: list[tuple[str, float]] = []
        position = 0
        for upto, committed in self.commits:
            for raw in payloads[position:upto]:
                doc = json.loads(raw)
                out.append((doc["id"], committed - doc["sent"]))
            position = upto
        return out


# --- Node-RED and its HTTP sink ----------------------------------------------------------------------------

NODE_RED_VERSION = "4"
FUNCTION = """
const d = msg.payload;
msg.headers = {"content-type": "application/json", "x-message-id": d.id, "x-sent": String(d.sent)};
msg.payload = {
  type: "ObjectEvent",
  eventTime: new Date(d.ts).toISOString(),
  eventTimeZoneOffset: "+00:00",
  epcList: [],
  action: "ADD",
  bizStep: "commissioning",
  disposition: "active",
  readPoint: {id: "urn:epc:id:sgln:4012345.00001.0"},
  bizLocation: {id: "urn:epc:id:sgln:4012345.00001.0"},
  quantityList: [{epcClass: "urn:epc:class:lgtin:4012345." + d.itemRef + "." + d.lot, quantity: d.count, uom: "EA"}],
  ilmd: {"cbvmda:bestBeforeDate": d.bestBefore, "cbvmda:lotNumber": d.lot}
};
return msg;
"""


class HttpSink:
    """A small HTTP/1.1 server (asyncio, keep-alive) that answers 204 and records, for each POST, the
    `x-message-id` and `x-sent` headers and the time the whole request had arrived."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[tuple[str, float, float]] = []  # (id, sent, received)
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> HttpSink:
        self._thread.start()
        if not self._ready.wait(10):
            raise SystemExit("the HTTP sink did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._serve, "127.0.0.1", self.port))
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            server.close()
            connections = asyncio.all_tasks(self._loop)
            for task in connections:
                task.cancel()
            self._loop.run_until_complete(asyncio.gather(*connections, return_exceptions=True))
            self._loop.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with suppress(ConnectionError, asyncio.IncompleteReadError):
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                headers = {}
                for line in head.decode("latin-1").split("\r\n")[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                length = int(headers.get("content-length", "0"))
                if length:
                    await reader.readexactly(length)
                self.received.append(
                    (headers.get("x-message-id", ""), float(headers.get("x-sent", "nan")), time.time())
                )
                writer.write(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
        writer.close()


def install_node_red(workdir: Path) -> Path | None:
    """node-red@4 from the npm registry into workdir/node-red (no global install); its red.js, or None with
    the reason printed when npm or the registry is unavailable."""
    prefix = workdir / "node-red"
    red = prefix / "node_modules" / "node-red" / "red.js"
    if red.exists():
        return red
    if shutil.which("npm") is None or shutil.which("node") is None:
        print("Node-RED skipped: node and npm are not installed", file=sys.stderr)
        return None
    prefix.mkdir(parents=True, exist_ok=True)
    print(f"installing node-red@{NODE_RED_VERSION} into {prefix} (npm) ...", file=sys.stderr)
    done = subprocess.run(
        [
            "npm",
            "install",
            "--prefix",
            str(prefix),
            "--no-audit",
            "--no-fund",
            f"node-red@{NODE_RED_VERSION}",
        ],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if done.returncode != 0 or not red.exists():
        print(f"Node-RED skipped: npm install failed:\n{done.stderr[-2000:]}", file=sys.stderr)
        return None
    return red


@contextmanager
def node_red(red: Path, workdir: Path, broker_port: int, topic: str, sink_port: int) -> Iterator[str]:
    """Node-RED, headless (no editor, no HTTP nodes), running: mqtt in (QoS 1, JSON) -> function (the same
    EPCIS ObjectEvent as lotline's mapper) -> http request (POST, keep-alive) to the sink. Yields its
    version."""
    user = workdir / "node-red-user"
    shutil.rmtree(user, ignore_errors=True)
    user.mkdir(parents=True)
    flows = [
        {"id": "tab", "type": "tab", "label": "ingest benchmark"},
        {
            "id": "broker",
            "type": "mqtt-broker",
            "broker": "127.0.0.1",
            "port": str(broker_port),
            "clientid": "bench-node-red",
            "autoConnect": True,
            "usetls": False,
            "protocolVersion": "5",
            "keepalive": "60",
            "cleansession": True,
        },
        {
            "id": "in",
            "type": "mqtt in",
            "z": "tab",
            "topic": topic,
            "qos": "1",
            "datatype": "json",
            "broker": "broker",
            "nl": False,
            "rap": True,
            "rh": 0,
            "inputs": 0,
            "wires": [["fn"]],
        },
        {"id": "fn", "type": "function", "z": "tab", "func": FUNCTION, "outputs": 1, "wires": [["http"]]},
        {
            "id": "http",
            "type": "http request",
            "z": "tab",
            "method": "POST",
            "ret": "txt",
            "paytoqs": "ignore",
            "url": f"http://127.0.0.1:{sink_port}/events",
            "persist": True,
            "wires": [[]],
        },
    ]
    (user / "flows.json").write_text(json.dumps(flows))
    (user / "settings.js").write_text(
        "module.exports = {uiHost: '127.0.0.1', httpAdminRoot: false, httpNodeRoot: false, "
        "flowFile: 'flows.json', credentialSecret: false, logging: {console: {level: 'info'}}};\n"
    )
    version = json.loads((red.parent / "package.json").read_text())["version"]
    log = (workdir / "node-red.log").open("wb")
    process = subprocess.Popen(
        [
            "node",
            str(red),
            "--userDir",
            str(user),
            "--settings",
            str(user / "settings.js"),
            "--port",
            str(free_port()),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "NODE_ENV": "production"},
    )
    try:
        deadline = time.monotonic() + 60
        while b"Connected to broker" not in (workdir / "node-red.log").read_bytes():
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(
                    "Node-RED did not connect to the broker:\n"
                    + (workdir / "node-red.log").read_text(errors="replace")[-2000:]
                )
            time.sleep(0.1)
        time.sleep(0.5)  # the subscription follows the connection
        yield str(version)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


if __name__ == "__main__" and len(sys.argv) == 7 and sys.argv[1] == "publish":
    _, _, port, topic, count, rate, prefix = sys.argv
    print(json.dumps(publish(int(port), topic, int(count), float(rate), prefix)), flush=True)
