"""The ``--demo`` environment: a built-in FlyMQ broker filled with realistic, deterministic data.

:class:`DemoEnvironment` starts ``pyflymq.broker.Broker`` (DLQ on) on 127.0.0.1 with a free port, creates

* ``orders`` (6 partitions, JSON orders keyed by customer, one poison record that is not valid JSON),
* ``payments`` (3 partitions, JSON keyed by order id),
* ``app-logs`` (2 partitions, plain-text log lines without key),
* ``sensor-readings`` (4 partitions, msgpack values keyed by sensor id),
* ``audit`` (1 partition, JSON audit events),
* ``shipments`` (2 partitions, Avro binary values keyed by order id; the Avro schema is registered as
  ``shipments`` in the schema registry),
* ``stock-levels`` (1 partition, protobuf values keyed by SKU; a ``.proto`` registered as ``stock-levels``),
* ``orders.dlq`` (FlyMQ DLQ JSON records, including the poison order),

and consumer groups with lag (``billing-service``, ``shipping-service``, ``analytics``,
``fraud-detector``). All of it comes from ``random.Random(42)``, with fixed timestamps, so two runs show
the same screen. Unless ``deterministic=True``, a background producer then writes a few records a second
and moves the groups along, so the live tail and the lag columns have something to show.
"""

from __future__ import annotations

import base64
import json
import random
import struct
import threading
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from pyflymq import FlyMQClient, connect
from pyflymq.models import RecordMetadata

if TYPE_CHECKING:
    from pyflymq.broker import Broker

EPOCH = datetime(2025, 3, 14, 9, 26, 53, tzinfo=timezone.utc)
TOPICS = {"orders": 6, "payments": 3, "app-logs": 2, "sensor-readings": 4, "audit": 1, "shipments": 2,
          "stock-levels": 1, "orders.dlq": 1}
COUNTS = {"orders": 1200, "payments": 540, "app-logs": 1600, "sensor-readings": 800, "audit": 120,
          "shipments": 60, "stock-levels": 40}
CARRIERS = ["DHL", "UPS", "FEDEX", "POSTNL"]
SHIPMENT_SCHEMA = {
    "type": "record", "name": "Shipment", "namespace": "demo.logistics",
    "fields": [
        {"name": "shipment_id", "type": "string"},
        {"name": "order_id", "type": "string"},
        {"name": "carrier", "type": {"type": "enum", "name": "Carrier", "symbols": CARRIERS}},
        {"name": "weight_kg", "type": "double"},
        {"name": "parcels", "type": "int"},
        {"name": "express", "type": "boolean"},
        {"name": "delivered_at", "type": ["null", {"type": "long", "logicalType": "timestamp-millis"}],
         "default": None},
    ],
}
"""The Avro schema of ``shipments`` values, registered under the topic's name."""
STOCK_PROTO = '''syntax = "proto3";
package demo.inventory;

message StockLevel {
  string sku = 1;
  string warehouse = 2;
  int32 on_hand = 3;
  int32 reserved = 4;
  Location location = 5;
  double unit_cost = 6;
  repeated string tags = 7;
}

message Location {
  string aisle = 1;
  int32 shelf = 2;
}
'''
"""The protobuf schema of ``stock-levels`` values, registered under the topic's name."""
WAREHOUSES = ["FRA-2", "LIS-1", "AUS-3", "OSA-1"]
GROUPS = {
    # group: (topic, fraction of each partition consumed, per-partition jitter)
    "billing-service": ("orders", 0.97, 0.02),
    "shipping-service": ("orders", 0.55, 0.25),
    "analytics": ("orders", 0.20, 0.10),
    "fraud-detector": ("payments", 0.90, 0.08),
    "log-indexer": ("app-logs", 1.0, 0.0),
    "iot-pipeline": ("sensor-readings", 0.75, 0.2),
}

PRODUCTS = [("SKU-1042", "USB-C cable 2m", 9.99), ("SKU-2210", "Mechanical keyboard", 119.0),
            ("SKU-3307", "27in monitor", 289.5), ("SKU-4120", "Noise-cancelling headphones", 199.0),
            ("SKU-5001", "Laptop stand", 39.9), ("SKU-6314", "Webcam 1080p", 59.0),
            ("SKU-7002", "Desk lamp", 24.5), ("SKU-8830", "Ergonomic mouse", 49.0)]
CITIES = ["Berlin", "Lisbon", "Austin", "Osaka", "Toronto", "Nairobi", "Lyon", "Melbourne"]
SERVICES = ["api-gateway", "order-svc", "payment-svc", "inventory", "shipping-svc"]
PATHS = ["/v1/orders", "/v1/orders/{id}", "/v1/payments", "/v1/cart", "/healthz", "/v1/inventory/{id}"]
DLQ_ERRORS = [
    ("max_retries_exceeded", "payment-svc: upstream timeout after 3 attempts (504 from psp.example)"),
    ("max_retries_exceeded", "inventory reservation failed: SKU-3307 out of stock in warehouse FRA-2"),
    ("processing_error", "address validation: postal code missing for country=PT"),
    ("max_retries_exceeded", "billing: customer cust-0077 has no default payment method"),
    ("processing_error", "currency JPY not enabled for merchant account"),
]


def _ts(seconds: float) -> str:
    return (EPOCH + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def msgpack_map(values: dict[str, Any]) -> bytes:
    """A small msgpack encoder (maps of str to str/int/float/bool), so the demo needs no msgpack package."""
    out = bytearray()
    out.append(0x80 | len(values))
    for key, value in values.items():
        out += _mp(key)
        out += _mp(value)
    return bytes(out)


def _mp(value: Any) -> bytes:
    if isinstance(value, bool):
        return b"\xc3" if value else b"\xc2"
    if isinstance(value, int):
        if 0 <= value < 128:
            return bytes([value])
        return b"\xd3" + struct.pack(">q", value)
    if isinstance(value, float):
        return b"\xcb" + struct.pack(">d", value)
    data = str(value).encode()
    if len(data) < 32:
        return bytes([0xA0 | len(data)]) + data
    return b"\xd9" + bytes([len(data)]) + data


def _zigzag_varint(value: int) -> bytes:
    """Avro's int/long: zigzag, then a base-128 varint."""
    return _varint((value << 1) ^ (value >> 63))


def _varint(value: int) -> bytes:
    """A base-128 varint of a non-negative int (protobuf and Avro)."""
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _avro_string(text: str) -> bytes:
    data = text.encode()
    return _zigzag_varint(len(data)) + data


def avro_shipment(shipment: dict[str, Any]) -> bytes:
    """A ``Shipment`` (:data:`SHIPMENT_SCHEMA`) in Avro binary, encoded here so seeding needs no Avro library."""
    out = bytearray()
    out += _avro_string(shipment["shipment_id"])
    out += _avro_string(shipment["order_id"])
    out += _zigzag_varint(CARRIERS.index(shipment["carrier"]))
    out += struct.pack("<d", shipment["weight_kg"])
    out += _zigzag_varint(shipment["parcels"])
    out.append(1 if shipment["express"] else 0)
    delivered = shipment["delivered_at"]
    out += _zigzag_varint(0) if delivered is None else _zigzag_varint(1) + _zigzag_varint(delivered)
    return bytes(out)


def _pb_field(number: int, wire_type: int, payload: bytes) -> bytes:
    return _varint(number << 3 | wire_type) + payload


def _pb_bytes(number: int, data: bytes) -> bytes:
    return _pb_field(number, 2, _varint(len(data)) + data)


def protobuf_stock_level(level: dict[str, Any]) -> bytes:
    """A ``StockLevel`` (:data:`STOCK_PROTO`) in protobuf wire format, encoded here (no protobuf library)."""
    location = _pb_bytes(1, level["aisle"].encode()) + _pb_field(2, 0, _varint(level["shelf"]))
    out = bytearray()
    out += _pb_bytes(1, level["sku"].encode())
    out += _pb_bytes(2, level["warehouse"].encode())
    out += _pb_field(3, 0, _varint(level["on_hand"]))
    if level["reserved"]:
        out += _pb_field(4, 0, _varint(level["reserved"]))
    out += _pb_bytes(5, location)
    out += _pb_field(6, 1, struct.pack("<d", level["unit_cost"]))
    for tag in level["tags"]:
        out += _pb_bytes(7, tag.encode())
    return bytes(out)


class DemoData:
    """Deterministic record generators (``random.Random(42)``); each call continues the sequence."""

    def __init__(self, seed: int = 42) -> None:
        self.rng = random.Random(seed)
        self.order_no = 100_000
        self.tick = 0.0

    def _advance(self) -> float:
        self.tick += self.rng.uniform(0.05, 1.5)
        return self.tick

    def order(self) -> tuple[bytes, bytes]:
        """A keyed JSON order."""
        rng = self.rng
        self.order_no += 1
        customer = f"cust-{rng.randint(1, 240):04d}"
        items: list[dict[str, Any]] = []
        for _ in range(rng.randint(1, 4)):
            sku, name, price = rng.choice(PRODUCTS)
            items.append({"sku": sku, "name": name, "qty": rng.randint(1, 3), "unit_price": price})
        total = round(sum(i["qty"] * i["unit_price"] for i in items), 2)
        doc = {"order_id": f"ord-{self.order_no}", "customer_id": customer,
               "status": rng.choice(["created", "created", "created", "paid", "cancelled"]),
               "items": items, "total": total, "currency": rng.choice(["EUR", "EUR", "USD", "GBP"]),
               "ship_to": {"city": rng.choice(CITIES), "express": rng.random() < 0.2},
               "created_at": _ts(self._advance())}
        return customer.encode(), json.dumps(doc, separators=(",", ":")).encode()

    def payment(self) -> tuple[bytes, bytes]:
        """A JSON payment keyed by order id."""
        rng = self.rng
        order = f"ord-{rng.randint(100_001, max(100_002, self.order_no))}"
        doc = {"payment_id": f"pay-{rng.getrandbits(40):010x}", "order_id": order,
               "amount": round(rng.uniform(5, 900), 2), "currency": "EUR",
               "method": rng.choice(["card", "card", "sepa", "paypal", "apple_pay"]),
               "status": rng.choice(["authorized", "authorized", "captured", "declined"]),
               "at": _ts(self._advance())}
        return order.encode(), json.dumps(doc, separators=(",", ":")).encode()

    def log_line(self) -> tuple[None, bytes]:
        """A plain-text access/app log line without key."""
        rng = self.rng
        level = rng.choices(["INFO", "WARN", "ERROR", "DEBUG"], weights=[70, 12, 5, 13])[0]
        service = rng.choice(SERVICES)
        path = rng.choice(PATHS).replace("{id}", str(rng.randint(100_001, 101_400)))
        status = 200 if level in ("INFO", "DEBUG") else rng.choice([404, 409, 500, 503])
        line = (f"{_ts(self._advance())} {level:<5} {service:<13} {rng.choice(['GET', 'POST', 'PUT'])} {path} "
                f"status={status} took={rng.randint(2, 900)}ms trace={rng.getrandbits(64):016x}")
        if level == "ERROR":
            line += ' err="connection reset by peer"'
        return None, line.encode()

    def reading(self) -> tuple[bytes, bytes]:
        """A msgpack sensor reading keyed by sensor id."""
        rng = self.rng
        sensor = f"sensor-{rng.randint(1, 24):02d}"
        value = msgpack_map({"sensor": sensor, "temp_c": round(rng.gauss(21.5, 3.0), 2),
                             "humidity": round(rng.uniform(30, 70), 1), "battery": rng.randint(5, 100),
                             "seq": int(self._advance() * 10), "ok": rng.random() > 0.03})
        return sensor.encode(), value

    def audit(self) -> tuple[bytes, bytes]:
        """A JSON audit event keyed by user."""
        rng = self.rng
        user = rng.choice(["alice", "bob", "carol", "dave", "svc-deploy", "svc-billing"])
        doc = {"actor": user, "action": rng.choice(["login", "topic.create", "group.reset", "acl.update",
                                                      "login", "export"]),
               "resource": rng.choice(["orders", "payments", "billing-service", "cluster"]),
               "ip": f"10.{rng.randint(0, 20)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
               "at": _ts(self._advance())}
        return user.encode(), json.dumps(doc, separators=(",", ":")).encode()

    def shipment(self) -> tuple[bytes, bytes]:
        """An Avro shipment keyed by order id."""
        rng = self.rng
        order = f"ord-{rng.randint(100_001, max(100_002, self.order_no))}"
        at = self._advance()
        delivered = rng.random() < 0.6
        shipment = {"shipment_id": f"shp-{rng.getrandbits(32):08x}", "order_id": order,
                    "carrier": rng.choice(CARRIERS), "weight_kg": round(rng.uniform(0.2, 18.0), 2),
                    "parcels": rng.randint(1, 4), "express": rng.random() < 0.2,
                    "delivered_at": int((EPOCH + timedelta(seconds=at + 86_400)).timestamp() * 1000)
                    if delivered else None}
        return order.encode(), avro_shipment(shipment)

    def stock_level(self) -> tuple[bytes, bytes]:
        """A protobuf stock level keyed by SKU."""
        rng = self.rng
        sku, _name, price = rng.choice(PRODUCTS)
        self._advance()
        level = {"sku": sku, "warehouse": rng.choice(WAREHOUSES), "on_hand": rng.randint(0, 400),
                 "reserved": rng.choice([0, 0, rng.randint(1, 30)]),
                 "aisle": f"{rng.choice('ABCDEF')}{rng.randint(1, 12):02d}", "shelf": rng.randint(1, 8),
                 "unit_cost": round(price * rng.uniform(0.4, 0.7), 2),
                 "tags": rng.sample(["fragile", "bulky", "fast-mover", "seasonal", "hazmat"], rng.randint(0, 2))}
        return sku.encode(), protobuf_stock_level(level)

    def make(self, topic: str) -> tuple[bytes | None, bytes]:
        """One record for ``topic``."""
        return {"orders": self.order, "payments": self.payment, "app-logs": self.log_line,
                "sensor-readings": self.reading, "audit": self.audit, "shipments": self.shipment,
                "stock-levels": self.stock_level}[topic]()


POISON = b'{"order_id":"ord-100666","customer_id":"cust-0666","items":[{"sku":"SKU-1042","qty":1,' \
         b'"unit_price":9.99}],"total":9.99,"currency":"EUR","note":"\xff\xfe\x00 truncated'


def dlq_record(idx: int, original_offset: int, payload: bytes, reason: str, error: str, retries: int,
               failed_at: float) -> bytes:
    """A FlyMQ DLQ JSON record (flymq-wire §3.7) with fixed timestamps."""
    doc = {"id": f"dlq-{idx:04d}", "original_topic": "orders", "original_offset": original_offset,
           "payload": base64.b64encode(payload).decode(), "reason": reason, "error_message": error,
           "retry_count": retries, "first_failed_at": _ts(failed_at),
           "last_failed_at": _ts(failed_at + 30 * retries)}
    return json.dumps(doc, separators=(",", ":")).encode()


class DemoEnvironment:
    """The built-in broker with demo data; ``start()`` returns its address, ``stop()`` ends everything."""

    def __init__(self, *, deterministic: bool = False, rate: float = 4.0, seed: int = 42) -> None:
        self.deterministic = deterministic
        self.rate = rate
        self.seed = seed
        self.broker: Broker | None = None
        self.address = ""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.data = DemoData(seed)

    def __enter__(self) -> DemoEnvironment:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> str:
        """Start the broker, seed it, start the live producer (unless deterministic); the address."""
        from pyflymq.broker import Broker

        self.broker = Broker(host="127.0.0.1", port=0, dlq=True)
        self.broker.start()
        self.address = self.broker.address
        client = connect(self.address, timeout_ms=5000)
        try:
            self._seed(client)
        finally:
            client.close()
        if not self.deterministic:
            self._thread = threading.Thread(target=self._live, name="flytui-demo-producer", daemon=True)
            self._thread.start()
        return self.address

    def stop(self) -> None:
        """Stop the producer and the broker (idempotent)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None
        if self.broker is not None:
            try:
                self.broker.stop()
            finally:
                self.broker = None

    # ------------------------------------------------------------------ seeding

    def _produce(self, client: FlyMQClient, topic: str, value: bytes, key: bytes | None) -> RecordMetadata:
        in_process = getattr(self.broker, "produce", None)
        if in_process is not None:
            return in_process(topic, value, key=key)
        return client.produce(topic, value, key=key)

    def _seed(self, client: FlyMQClient) -> None:
        broker = self.broker
        for topic, partitions in TOPICS.items():
            if broker is not None:  # in process: no round trip per topic
                broker.create_topic(topic, partitions)
            else:
                client.create_topic(topic, partitions=partitions)
        client.register_schema("shipments", "avro", json.dumps(SHIPMENT_SCHEMA).encode())
        client.register_schema("stock-levels", "protobuf", STOCK_PROTO.encode())
        data = self.data
        failed: list[tuple[int, int, bytes]] = []  # (partition, offset, value) of orders that will fail
        poison_at = (0, 0)
        for topic, count in COUNTS.items():
            for i in range(count):
                key, value = data.make(topic)
                if topic == "orders" and i == 733:
                    key, value = b"cust-0666", POISON
                meta = self._produce(client, topic, value, key)
                if topic == "orders" and i == 733:
                    poison_at = (meta.partition, meta.offset)
                elif topic == "orders" and i % 97 == 5:
                    failed.append((meta.partition, meta.offset, value))
        # dead letters: a few failed orders, and the poison message that was retried the most
        rng = data.rng
        for idx, (_, offset, payload) in enumerate(failed[:9]):
            reason, error = DLQ_ERRORS[idx % len(DLQ_ERRORS)]
            record = dlq_record(idx + 1, offset, payload, reason, error, rng.randint(1, 4), 3600 + idx * 420)
            self._produce(client, "orders.dlq", record, None)
        poison = dlq_record(10, poison_at[1], POISON, "poison_message",
                            "json: invalid character '\\xff' looking for beginning of value (byte 118)", 5, 7300)
        self._produce(client, "orders.dlq", poison, None)
        # consumer groups at various positions
        for group, (topic, fraction, jitter) in GROUPS.items():
            for p in range(TOPICS[topic]):
                low, high = client.watermarks(topic, p)
                share = min(1.0, max(0.0, fraction + rng.uniform(-jitter, jitter)))
                offset = low + int((high - low) * share)
                if broker is not None:
                    broker.commit(topic, group, p, offset)
                else:
                    client.commit_offset(topic, group, p, offset)

    # ------------------------------------------------------------------ live producer

    def _live(self) -> None:
        rng = random.Random(self.seed + 1)
        data = DemoData(self.seed + 7)
        data.order_no = 200_000
        client = connect(self.address, timeout_ms=5000)
        weights = {"orders": 4, "payments": 2, "app-logs": 6, "sensor-readings": 3, "audit": 1}
        topics = list(weights)
        tick = 0
        try:
            while not self._stop.wait(1.0 / self.rate):
                topic = rng.choices(topics, weights=[weights[t] for t in topics])[0]
                key, value = data.make(topic)
                try:
                    client.produce(topic, value, key=key)
                    tick += 1
                    if tick % 20 == 0:
                        self._advance_groups(client, rng)
                except Exception:  # noqa: BLE001 - the demo producer must never take the app down
                    if self._stop.wait(1.0):
                        return
        finally:
            client.close()

    def _advance_groups(self, client: FlyMQClient, rng: random.Random) -> None:
        for group in ("billing-service", "fraud-detector", "log-indexer"):
            topic = GROUPS[group][0]
            for p in range(TOPICS[topic]):
                committed = client.get_committed_offset(topic, group, p)
                _, high = client.watermarks(topic, p)
                if committed < high:
                    client.commit_offset(topic, group, p, min(high, committed + rng.randint(1, 6)))


def fill_history(history: Any, overview: Any, *, end: float, minutes: int = 15, step: float = 5.0) -> None:
    """Replace what ``history`` holds with a made-up, deterministic past (a :class:`flytui.rate_history.SessionHistory`)
    so the rates, sparklines and the lag chart have something to show in screenshots and snapshot tests.

    Every partition of ``overview`` gets ``minutes`` of watermarks ending at its current high watermark, at
    a rate that rises and falls; ``shipping-service`` drains its lag, ``analytics`` falls behind, and the
    other groups hover around their current lag. Times are ``end - minutes * 60`` … ``end``.
    """
    import math

    rng = random.Random(7)
    history.clear()
    count = int(minutes * 60 / step) + 1
    times = [end - (count - 1 - i) * step for i in range(count)]
    for topic in overview.topics:
        for mark in topic.partitions:
            base = rng.uniform(0.5, 4.0) if mark.count else 0.0
            rates = [base * (1.0 + 0.7 * math.sin(i / 9.0 + mark.partition)) for i in range(count)]
            value = float(mark.high)
            values = [value]
            for rate in reversed(rates[1:]):
                value = max(0.0, value - rate * step)
                values.append(value)
            for when, high in zip(times, reversed(values), strict=True):
                history.add_partition(topic.name, mark.partition, when, round(high))
    for group in overview.groups:
        topic = overview.topic(group.topic)
        if topic is None:
            continue
        lag = next((g.total_lag for g in overview.group_lags(group.topic) if g.group_id == group.group_id), 0)
        slope = {"shipping-service": -2.5, "analytics": 0.6}.get(group.group_id, 0.0)
        for i, when in enumerate(times):
            behind = count - 1 - i
            wobble = 0 if behind == 0 or lag == 0 else rng.randint(-3, 3)
            history.add_lag(group.topic, group.group_id, when, max(0, round(lag - slope * behind * step) + wobble))
