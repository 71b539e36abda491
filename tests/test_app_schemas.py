"""Schema-aware decoding against the built-in broker's schema registry: the service's registry reads, and
Pilot tests that the detail shows the Avro record, the JSON Schema's failing paths and the protobuf tree, that
``S`` picks another schema and remembers it, and that keys keep their own decoder.

The real FlyMQ server answers the registry ops only when its registry is configured, so these run on the
built-in broker (seeded in process).
"""

from __future__ import annotations

import io
import json
import uuid

import fastavro
import pytest

from flytui.decode import DecodeMode
from flytui.schema_choices import choices_path
from flytui.service import ConnectionSettings, FlyService
from tests.flytui_helpers import make_app, pilot_test, screen_text, wait_for, wait_ready

pytestmark = [pytest.mark.filterwarnings("ignore::ResourceWarning"), pytest.mark.broker(scope="module")]

SHIPMENT = {"type": "record", "name": "Shipment",
            "fields": [{"name": "shipment_id", "type": "string"}, {"name": "carrier", "type": "string"},
                       {"name": "parcels", "type": "int"}]}
PAYMENT_SCHEMA = {"type": "object", "required": ["id", "amount"],
                  "properties": {"id": {"type": "string"}, "amount": {"type": "number", "minimum": 0},
                                 "lines": {"type": "array", "items": {"type": "object",
                                                                      "properties": {"qty": {"minimum": 1}}}}}}


@pytest.fixture
def broker(flymq):
    """The module's built-in broker: these tests seed it and register schemas in process."""
    return flymq.broker


def name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def avro(record: dict) -> bytes:
    out = io.BytesIO()
    fastavro.schemaless_writer(out, fastavro.parse_schema(SHIPMENT), record)
    return out.getvalue()


def avro_topic(broker, flymq) -> str:
    topic = name("shipments")
    broker.create_topic(topic, 1)
    flymq.client().register_schema(topic, "avro", json.dumps(SHIPMENT))
    for i in range(3):
        broker.produce(topic, avro({"shipment_id": f"shp-{i}", "carrier": "DHL", "parcels": i + 1}),
                       key=f"cust-008{i}")
    return topic


def payment_topic(broker, flymq, schema_name: str | None = None) -> str:
    topic = name("payments")
    broker.create_topic(topic, 1)
    flymq.client().register_schema(schema_name or topic, "json", json.dumps(PAYMENT_SCHEMA))
    broker.produce(topic, json.dumps({"id": "pay-1", "amount": -5, "lines": [{"qty": 0}]}), key="cust-0080")
    return topic


def detail_text(app) -> str:
    return "\n".join(line.plain for line in app.detail.last_value.lines)


# ------------------------------------------------------------------------------------ service, no app


def test_service_reads_the_registry(broker, flymq):
    topic = avro_topic(broker, flymq)
    flymq.client().register_schema(f"{topic}-proto", "protobuf", "message X { string a = 1; }")
    service = FlyService(ConnectionSettings(flymq.address, timeout_ms=3000))
    try:
        schema = service.schema_sync(topic)
        assert schema is not None and (schema.name, schema.version, schema.type) == (topic, 1, "avro")
        assert json.loads(schema.definition) == SHIPMENT
        assert service.schema_sync(f"{topic}-proto").type == "protobuf"
        assert service.schema_sync(name("none")) is None
        names = service.schema_names_sync()
        assert topic in names and f"{topic}-proto" in names
        assert not any(n.endswith("-v1") for n in names if n.startswith(topic))
    finally:
        service.close()


# ------------------------------------------------------------------------------------------- the app


@pilot_test
async def test_detail_shows_the_avro_record_and_keys_keep_their_decoder(broker, flymq):
    topic = avro_topic(broker, flymq)
    app = make_app(broker.address, topic=topic)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        await wait_for(pilot, lambda: app.detail.last_value.mode_used is DecodeMode.AVRO, what="Avro decode")
        assert json.loads(detail_text(app).split("\n", 1)[1]) == {"shipment_id": "shp-0", "carrier": "DHL",
                                                                  "parcels": 1}
        text = screen_text(app)
        assert f"Avro schema {topic} v1" in text and '"shipment_id": "shp-0"' in text
        # the stream's value column reads each record through the schema too, not as hex
        await wait_for(pilot, lambda: '{"shipment_id":"shp-2","carrier"' in screen_text(app),
                       what="Avro preview in the stream")
        assert "‹bin›" not in screen_text(app)
        # keys to hex (auto -> text -> json -> hex): the value keeps its mode and its schema
        await pilot.press("K", "K", "K")
        await wait_for(pilot, lambda: app.detail.key_mode is DecodeMode.HEX, what="hex for keys")
        await pilot.pause(0.1)
        assert app.detail.mode is DecodeMode.AUTO and app.detail.last_value.mode_used is DecodeMode.AVRO
        text = screen_text(app)
        assert "63 75 73 74 2d 30 30 38  30" in text  # "cust-0080" dumped
        assert '"shipment_id": "shp-0"' in text


@pilot_test
async def test_value_json_mode_leaves_text_keys_alone(broker, flymq):
    topic = name("keys")
    broker.create_topic(topic, 1)
    broker.produce(topic, json.dumps({"a": 1}), key="cust-0080")
    app = make_app(broker.address, topic=topic)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        await pilot.press("d", "d")  # auto -> text -> json
        await wait_for(pilot, lambda: app.detail.mode is DecodeMode.JSON, what="JSON for values")
        await pilot.pause(0.1)
        text = screen_text(app)
        assert "cust-0080" in text
        assert "not valid JSON" not in text and "shown as hex" not in text
        assert app.detail.last_value.mode_used is DecodeMode.JSON


@pilot_test
async def test_detail_shows_the_json_schema_failure_paths(broker, flymq):
    topic = payment_topic(broker, flymq)
    app = make_app(broker.address, topic=topic)
    async with app.run_test(size=(220, 48)) as pilot:  # wide enough that no failure line wraps
        await wait_ready(pilot, app, topic)
        await wait_for(pilot, lambda: app.detail.last_value.schema is not None, what="JSON Schema check")
        lines = detail_text(app).splitlines()
        assert lines[:3] == [f"✗ 2 problems against the JSON Schema {topic} v1:",
                             "  $.amount: -5 is less than the minimum 0",
                             "  $.lines[0].qty: 0 is less than the minimum 1"]
        text = screen_text(app)
        assert "$.amount: -5 is less than the minimum 0" in text
        assert "$.lines[0].qty: 0 is less than the minimum 1" in text


@pilot_test
async def test_detail_shows_the_protobuf_tree(broker, flymq):
    topic = name("stock")
    broker.create_topic(topic, 1)
    flymq.client().register_schema(topic, "protobuf", "message S { string sku = 1; Loc loc = 2; }")
    broker.produce(topic, b"\x0a\x05SKU-7\x12\x04\x08\x03\x10\x07", key="SKU-7")
    app = make_app(broker.address, topic=topic)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        await wait_for(pilot, lambda: app.detail.last_value.mode_used is DecodeMode.PROTOBUF, what="protobuf")
        assert detail_text(app).splitlines()[1:] == ['1 len: "SKU-7"', "2 len {", "  1 varint: 3", "  2 varint: 7",
                                                     "}"]
        text = screen_text(app)
        assert '1 len: "SKU-7"' in text and "  2 varint: 7" in text
        assert '1: "SKU-7" 2 {1: 3 2: 7}' in text  # the stream's one-line preview of the same value


@pilot_test
async def test_choosing_another_schema_decodes_with_it_and_is_remembered(broker, flymq):
    other = name("payment-rules")
    topic = payment_topic(broker, flymq, schema_name=other)  # nothing registered under the topic's name
    app = make_app(broker.address, topic=topic)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, app, topic)
        await wait_for(pilot, lambda: app.detail.schema_topic == topic, what="schema lookup")
        assert app.detail.schema is None and app.detail.last_value.mode_used is DecodeMode.JSON
        await pilot.press("S")
        await wait_for(pilot, lambda: other in screen_text(app), what="schema list")
        option_list = app.screen.query_one("#schemas")
        option_list.highlighted = next(i for i in range(option_list.option_count)
                                       if option_list.get_option_at_index(i).id == other)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.detail.schema is not None and app.detail.schema.name == other,
                       what="chosen schema")
        assert "$.amount: -5 is less than the minimum 0" in screen_text(app)
    assert json.loads(choices_path().read_text()) == {topic: other}
    again = make_app(broker.address, topic=topic)
    async with again.run_test(size=(160, 48)) as pilot:
        await wait_ready(pilot, again, topic)
        await wait_for(pilot, lambda: again.detail.last_value.schema == f"JSON Schema {other} v1",
                       what="remembered schema")
