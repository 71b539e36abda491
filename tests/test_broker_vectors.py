"""Every frame captured from a real FlyMQ 1.26.11 server, replayed against the built-in broker byte for byte.

Each case starts a fresh broker with the options the capture implies, builds the starting state its note
describes, sends the request over a raw socket and compares the reply with the captured one, after masking
the server clock (``timestamp_bytes``) and generated ids (``variable_bytes``). The §4 table of flymq-wire.md
adds the response vectors the broker can produce.
"""

from __future__ import annotations

import json
import re
import time

import pytest

from pyflymq import wire
from pyflymq.broker import Broker
from pyflymq.broker.testing import RawConnection
from pyflymq.wire import Op

DLQ_RECORD = {
    "id": "m1", "original_topic": "d", "original_offset": 7, "payload": "dg==", "reason": "max_retries_exceeded",
    "error_message": "boom", "retry_count": 3, "first_failed_at": "2024-01-02T03:04:05Z",
    "last_failed_at": "2024-01-02T03:04:05Z",
}
SCHEMA_S = b'{"type":"object","required":["a"],"properties":{"a":{"type":"integer"}}}'


# Copied from flymq-vectors.json (70 frames captured from a real FlyMQ 1.26.11 server).
# name: (request_hex, response_hex, masks); masks are half-open byte ranges of the response
# (timestamp_bytes, variable_bytes) or of the request (request_variable_bytes).
VECTORS = {
    'list_topics_empty': (
        'af01080100000000',
        'af0108010000000400000000',
        {},
    ),
    'whoami_anonymous': (
        'af01720100000000',
        'af01720100000009000000000000000000',
        {},
    ),
    'create_topic': (
        'af0103010000000700017400000001',
        'af0103010000000101',
        {},
    ),
    'create_topic_existing': (
        'af010301000000080002743300000005',
        'af0103010000000101',
        {},
    ),
    'list_topics': (
        'af01080100000000',
        'af0108010000002200000008000142000362696700016500016600036f6e650001740002743300027434',
        {},
    ),
    'produce_keyed': (
        'af01010100000012000174000000026b310000000176ffffffff',
        'af0101010000001f000174000000000000000000000000000001a22632eac20000000200000001',
        {'timestamp_bytes': (23, 31)},
    ),
    'produce_nokey': (
        'af01010100000010000174000000000000000177ffffffff',
        'af0101010000001f000174000000000000000000000001000001a22632eac2ffffffff00000001',
        {'timestamp_bytes': (23, 31)},
    ),
    'produce_partition_ignored': (
        'af010101000000110002743300000000000000016100000002',
        'af0101010000002000027433000000000000000000000000000001a22632eac3ffffffff00000001',
        {'timestamp_bytes': (24, 32)},
    ),
    'produce_key_hash_t4': (
        'af0101010000001a0002743400000008757365722d313233000000026b76ffffffff',
        'af0101010000002000027434000000030000000000000001000001a22632eac50000000800000002',
        {'timestamp_bytes': (24, 32)},
    ),
    'cluster_metadata_topic': (
        'af01530100000003000174',
        ('af0153010000005e000a7374616e64616c6f6e6500000001000174000000010000000000076c6f63616c2d31000e3132'
         '372e302e302e313a39303932000000000000000100066f6e6c696e650000000100076c6f63616c2d310000000100076c'
         '6f63616c2d31'),
        {},
    ),
    'cluster_metadata_missing_E3': (
        'af0153010000000600046e6f7065',
        'af01ff010000001b000000010015746f706963206e6f7420666f756e643a206e6f7065',
        {},
    ),
    'subscribe_earliest_empty_partition': (
        'af01050100000012000165000000000000086561726c69657374',
        'af010501000000080000000000000000',
        {},
    ),
    'subscribe_latest_empty_partition_quirk': (
        'af01050100000010000165000000000000066c6174657374',
        'af010501000000080000000000000001',
        {},
    ),
    'subscribe_latest_one_record': (
        'af0105010000001200036f6e65000000000000066c6174657374',
        'af010501000000080000000000000001',
        {},
    ),
    'subscribe_unknown_mode': (
        'af0105010000000f00017400000000000005626f677573',
        'af01ff000000001d756e6b6e6f776e20737562736372696265206d6f64653a20626f677573',
        {},
    ),
    'list_groups_empty': (
        'af01620100000000',
        'af0162010000000400000000',
        {},
    ),
    'fetch_records': (
        'af010701000000150001740000000000000000000000000000000a0000',
        ('af010701000000430000000300000000000000030000000000000000000000026b310000000176000000000000000100'
         '00000000000001770000000000000002000000026b320000000178'),
        {},
    ),
    'fetch_end_of_log': (
        'af010701000000150001740000000000000000000000030000000a0000',
        'af0107010000000c000000000000000000000003',
        {},
    ),
    'fetch_far_beyond_end': (
        'af010701000000150001740000000000000000000f42400000000a0000',
        'af0107010000000c0000000000000000000f4240',
        {},
    ),
    'fetch_no_filter_field': (
        'af0107010000001300017400000000000000000000000100000001',
        'af0107010000001d0000000100000000000000020000000000000001000000000000000177',
        {},
    ),
    'fetch_binary': (
        'af010b010000001300017400000000000000000000000000000001',
        'af010b010000001f0000000100000000000000010000000000000000000000026b310000000176',
        {},
    ),
    'fetch_missing_topic_E1': (
        'af0107010000001800046e6f70650000000000000000000000000000000a0000',
        'af01ff0000000015746f706963206e6f7420666f756e643a206e6f7065',
        {},
    ),
    'fetch_partition_not_found_E1': (
        'af010701000000150001740000000500000000000000000000000a0000',
        'af01ff0000000015706172746974696f6e2035206e6f7420666f756e64',
        {},
    ),
    'fetch_filter_jsonpath': (
        'af0107010000001a0001660000000000000000000000000000000a0005242e612e62',
        ('af010701000000290000000100000000000000090000000000000004000000000000000d7b2261223a7b2262223a317d'
         '7d'),
        {},
    ),
    'consume': (
        'af0102010000000f000174000000000000000000000000',
        'af0102010000000b000000026b310000000176',
        {},
    ),
    'consume_past_end_EOF': (
        'af0102010000000f000174000000000000000000000003',
        'af01ff0000000003454f46',
        {},
    ),
    'consume_missing_topic_E1': (
        'af0102010000001200046e6f7065000000000000000000000000',
        'af01ff000000000f746f706963206e6f7420666f756e64',
        {},
    ),
    'consume_zero_copy': (
        'af010a010000000f000174000000000000000000000000',
        'af010a010000000b000000026b310000000176',
        {},
    ),
    'delete_topic_missing': (
        'af0109010000000900076d697373696e67',
        'af0109010000000101',
        {},
    ),
    'get_offset_unknown_group_E1': (
        'af0160010000000a00017400016700000000',
        'af01ff000000001d636f6e73756d65722067726f7570206e6f7420666f756e643a20743a67',
        {},
    ),
    'commit': (
        'af01060100000012000174000167000000000000000000000002',
        'af0106010000000101',
        {},
    ),
    'get_offset': (
        'af0160010000000a00017400016700000000',
        'af016001000000080000000000000002',
        {},
    ),
    'get_offset_uncommitted_partition': (
        'af0160010000000a00017400016700000001',
        'af016001000000080000000000000000',
        {},
    ),
    'list_groups': (
        'af01620100000000',
        'af0162010000001e000000010001740001670000000000000001000000000000000000000002',
        {},
    ),
    'describe_group': (
        'af01630100000006000174000167',
        'af0163010000001a0001740001670000000000000001000000000000000000000002',
        {},
    ),
    'get_lag': (
        'af0164010000000a00017400016700000000',
        'af016401000000200000000000000002000000000000000200000000000000030000000000000001',
        {},
    ),
    'subscribe_commit_mode': (
        'af010501000000110001740001670000000006636f6d6d6974',
        'af010501000000080000000000000002',
        {},
    ),
    'reset_offset_earliest': (
        'af0161010000001300017400016700000000086561726c69657374',
        'af0161010000000101',
        {},
    ),
    'reset_offset_offset': (
        'af0161010000001900017400016700000000066f66667365740000000000000007',
        'af0161010000000101',
        {},
    ),
    'get_lag_empty_partition_quirk': (
        'af0164010000000b0001650002676500000000',
        'af016401000000200000000000000001000000000000000100000000000000010000000000000000',
        {},
    ),
    'reset_offset_unknown_mode': (
        'af016101000000110001740001670000000006636f6d6d6974',
        'af01ff000000001a756e6b6e6f776e207265736574206d6f64653a20636f6d6d6974',
        {},
    ),
    'delete_group': (
        'af01650100000006000174000167',
        'af0165010000000101',
        {},
    ),
    'delete_group_unknown_E1': (
        'af01650100000006000174000167',
        'af01ff000000001d636f6e73756d65722067726f7570206e6f7420666f756e643a20743a67',
        {},
    ),
    'fetch_dlq': (
        'af012001000000070001640000000a',
        'af012001000000170000000100026d3100000001760004626f6f6d00000003',
        {},
    ),
    'fetch_dlq_missing': (
        'af0120010000000b00056e6f646c710000000a',
        'af0120010000000400000000',
        {},
    ),
    'replay_dlq_no_dlq_topic': (
        'af0121010000000b00056e6f646c7100026d31',
        'af0121010000001d00001a746f706963206e6f7420666f756e643a206e6f646c712e646c71',
        {},
    ),
    'replay_dlq_ok': (
        'af0121010000000700016400026d31',
        'af012101000000050100024f4b',
        {},
    ),
    'replay_dlq_unknown_id': (
        'af0121010000000700016400027a7a',
        'af012101000000140000116d657373616765206e6f7420666f756e64',
        {},
    ),
    'purge_dlq': (
        'af01220100000003000164',
        'af012201000000050100024f4b',
        {},
    ),
    'txn_begin': (
        'af01400100000000',
        ('af01400100000037003474786e2d70726f64756365722d313739353933373230323137353731313337382d3137393539'
         '333732303231373537313239333001'),
        {'variable_bytes': (10, 62)},
    ),
    'txn_produce': (
        ('af01430100000040003474786e2d70726f64756365722d313739353933373230323137353731313337382d3137393539'
         '333732303231373537313239333000027478000000027631'),
        'af0143010000002000027478000000000000000000000000000001a22632efffffffffff00000002',
        {'timestamp_bytes': (24, 32), 'request_variable_bytes': (10, 62)},
    ),
    'txn_produce_unknown_E1': (
        'af0143010000000f00046e6f7065000274780000000176',
        'af01ff000000001b7472616e73616374696f6e206e6f7420666f756e643a206e6f7065',
        {},
    ),
    'txn_commit_unknown': (
        'af0141010000000a000874786e2d6e6f7065',
        'af0141010000000b000874786e2d6e6f706500',
        {},
    ),
    'txn_abort_unknown': (
        'af0142010000000a000874786e2d6e6f7065',
        'af0142010000000b000874786e2d6e6f706500',
        {},
    ),
    'produce_delayed': (
        'af013001000000110002646c0000000176000000000000ea60',
        'af013001000000200002646c000000000000000000000000000001a22632f001ffffffff00000001',
        {'timestamp_bytes': (24, 32)},
    ),
    'produce_with_ttl': (
        'af01350100000011000274740000000176000000000000ea60',
        'af0135010000002000027474000000000000000000000000000001a22632f002ffffffff00000001',
        {'timestamp_bytes': (24, 32)},
    ),
    'get_schema_missing_E2': (
        'af0111010000000c00066e6f7375636800000000',
        'af01ff01000000216e6f20736368656d6120666f756e6420666f7220746f7069633a206e6f73756368',
        {},
    ),
    'register_schema': (
        ('af01100100000054000173046a736f6e000000487b2274797065223a226f626a656374222c227265717569726564223a'
         '5b2261225d2c2270726f70657274696573223a7b2261223a7b2274797065223a22696e7465676572227d7d7d'),
        'af0110010000000c000173046a736f6e00000001',
        {},
    ),
    'get_schema': (
        'af0111010000000700017300000000',
        ('af011101000000670004732d763100017300000001046a736f6e000000487b2274797065223a226f626a656374222c22'
         '7265717569726564223a5b2261225d2c2270726f70657274696573223a7b2261223a7b2274797065223a22696e746567'
         '6572227d7d7d086261636b77617264'),
        {},
    ),
    'list_schemas': (
        'af01120100000003000173',
        'af01120100000013000000010004732d7631046a736f6e00000001',
        {},
    ),
    'validate_schema_invalid': (
        'af0113010000000e000173000000077b2262223a317d',
        'af01130100000020000000000100196d697373696e67207265717569726564206669656c643a2061',
        {},
    ),
    'produce_with_schema': (
        'af0114010000001200027473000173000000077b2261223a317d',
        'af0114010000002000027473000000000000000000000000000001a22632f004ffffffff00000007',
        {'timestamp_bytes': (24, 32)},
    ),
    'produce_with_schema_invalid_E2': (
        'af0114010000001200027473000173000000077b2262223a317d',
        ('af01ff0100000035736368656d612076616c69646174696f6e206661696c65643a205b6d697373696e67207265717569'
         '726564206669656c643a20615d'),
        {},
    ),
    'delete_schema': (
        'af0115010000000700017300000001',
        'af011501000000050100024f4b',
        {},
    ),
    'auth_decode_error_E3': (
        'af0170010000000100',
        ('af01ff010000002c000000010026696e76616c6964206175746820726571756573743a2062756666657220746f6f2073'
         '6d616c6c'),
        {},
    ),
    'produce_buffer_too_small_E1': (
        'af01010100000003000174',
        'af01ff000000001062756666657220746f6f20736d616c6c',
        {},
    ),
    'produce_invalid_binary_format_E1': (
        'af01010100000018000174000000000000006476ffffffff0000000000000000',
        'af01ff0000000015696e76616c69642062696e61727920666f726d6174',
        {},
    ),
    'unknown_opcode_0x04_E1': (
        'af01040100000003000174',
        'af01ff0000000011756e6b6e6f776e206f70636f64653a2034',
        {},
    ),
    'unknown_opcode_0x66_E1': (
        'af01660100000000',
        'af01ff0000000013756e6b6e6f776e206f70636f64653a20313032',
        {},
    ),
    'pipelined_fetch_x3': (
        ('af01070100000015000174000000000000000000000002000000010000af010701000000150001740000000000000000'
         '00000000000000010000af01070100000015000174000000000000000000000001000000010000'),
        ('af0107010000001f0000000100000000000000030000000000000002000000026b320000000178af0107010000001f00'
         '00000100000000000000010000000000000000000000026b310000000176af0107010000001d00000001000000000000'
         '00020000000000000001000000000000000177'),
        {},
    ),
}


# ---------------------------------------------------------------------------------------------- helpers

def frame_count(raw: bytes) -> int:
    """How many whole frames a captured byte string holds."""
    count = pos = 0
    while pos < len(raw):
        pos += wire.HEADER_SIZE + int.from_bytes(raw[pos + 4:pos + 8], "big")
        count += 1
    return count


def masked(raw: bytes, masks: list[tuple[int, int]]) -> bytes:
    """``raw`` with each half-open byte range zeroed."""
    out = bytearray(raw)
    for start, stop in masks:
        out[start:stop] = bytes(stop - start)
    return bytes(out)


def exchange(broker: Broker, request: bytes, expected: bytes) -> bytes:
    """Send ``request`` in one write and read back as many frames as ``expected`` holds."""
    with RawConnection(broker.address) as conn:
        conn.send(request)
        return b"".join(conn.read_frame_bytes() for _ in range(frame_count(expected)))


def send(broker: Broker, name: str) -> bytes:
    """Replay another vector's request (used to build the state a later vector expects)."""
    request, response, _masks = VECTORS[name]
    return exchange(broker, bytes.fromhex(request), bytes.fromhex(response))


def seed_t(b: Broker) -> None:
    """'t' p0: (0, 'k1', 'v'), (1, no key, 'w'), (2, 'k2', 'x')."""
    b.produce("t", b"v", key=b"k1")
    b.produce("t", b"w")
    b.produce("t", b"x", key=b"k2")


def seed_t_committed(b: Broker) -> None:
    seed_t(b)
    b.commit("t", "g", 0, 2)


def seed_dlq(b: Broker) -> None:
    b.produce("d.dlq", json.dumps(DLQ_RECORD, separators=(",", ":")).encode())


def register_s(b: Broker) -> None:
    send(b, "register_schema")


def seed_f(b: Broker) -> None:
    """Nine records in 'f'; only #4 has the JSON path $.a.b."""
    values = [b"plain", b'{"a":1}', b'{"b":{"a":{"b":1}}}', b"{not json", b'{"a":{"b":1}}',
              b'{"a":{"c":1}}', b"[1,2]", b'{"a":null}', b"a.b"]
    for value in values:
        b.produce("f", value)


def seed_list_topics(b: Broker) -> None:
    for name in ["t", "t3", "t4", "e", "one", "__h", "B", "f", "big"]:
        b.create_topic(name, 3 if name == "t3" else 4 if name == "t4" else 1)


def seed_t4(b: Broker) -> None:
    b.create_topic("t4", 4)
    for i in range(4):  # keyless: one per partition, so p3 holds offset 0
        b.produce("t4", f"r{i}".encode())


def seed_empty_subscribes(b: Broker) -> None:
    b.create_topic("e", 1)
    send(b, "subscribe_earliest_empty_partition")
    send(b, "subscribe_latest_empty_partition_quirk")


def seed_e_reset_latest(b: Broker) -> None:
    b.create_topic("e", 1)
    with RawConnection(b.address) as conn:
        reply = conn.request(Op.RESET_OFFSET, wire.encode_reset_offset_request("e", "ge", 0, "latest"))
    assert reply.op == Op.RESET_OFFSET


# name -> (broker options, setup before the request, check after the reply)
CASES = {
    "list_topics_empty": ({}, None, None),
    "whoami_anonymous": ({}, None, None),
    "create_topic": ({}, None, lambda b: b.partition_count("t") == 1),
    "create_topic_existing": ({}, lambda b: b.create_topic("t3", 3), lambda b: b.partition_count("t3") == 3),
    "list_topics": ({}, seed_list_topics, None),
    "produce_keyed": ({}, None, lambda b: b.records("t") == [(0, b"k1", b"v")]),
    "produce_nokey": ({}, lambda b: b.produce("t", b"v", key=b"k1"), lambda b: b.records("t")[1] == (1, None, b"w")),
    "produce_partition_ignored": ({}, lambda b: b.create_topic("t3", 3),
                                  lambda b: b.records("t3", 0) == [(0, None, b"a")]),
    "produce_key_hash_t4": ({}, seed_t4, lambda b: b.records("t4", 3)[1] == (1, b"user-123", b"kv")),
    "cluster_metadata_topic": ({"node_id": "local-1", "advertised_addr": "127.0.0.1:9092"},
                               lambda b: b.create_topic("t", 1), None),
    "cluster_metadata_missing_E3": ({}, None, None),
    "subscribe_earliest_empty_partition": ({}, lambda b: b.create_topic("e", 1), None),
    "subscribe_latest_empty_partition_quirk": ({}, lambda b: b.create_topic("e", 1), None),
    "subscribe_latest_one_record": ({}, lambda b: b.produce("one", b"x"), None),
    "subscribe_unknown_mode": ({}, lambda b: b.create_topic("t", 1), None),
    "list_groups_empty": ({}, seed_empty_subscribes, lambda b: b.groups() == []),
    "fetch_records": ({}, seed_t, None),
    "fetch_end_of_log": ({}, seed_t, None),
    "fetch_far_beyond_end": ({}, seed_t, None),
    "fetch_no_filter_field": ({}, seed_t, None),
    "fetch_binary": ({}, seed_t, None),
    "fetch_missing_topic_E1": ({}, None, None),
    "fetch_partition_not_found_E1": ({}, seed_t, None),
    "fetch_filter_jsonpath": ({}, seed_f, None),
    "consume": ({}, seed_t, None),
    "consume_past_end_EOF": ({}, seed_t, None),
    "consume_missing_topic_E1": ({}, None, None),
    "consume_zero_copy": ({}, seed_t, None),
    "delete_topic_missing": ({}, None, lambda b: b.topic_names() == []),
    "get_offset_unknown_group_E1": ({}, None, None),
    "commit": ({}, None, lambda b: b.committed("t", "g", 0) == 2),
    "get_offset": ({}, lambda b: b.commit("t", "g", 0, 2), None),
    "get_offset_uncommitted_partition": ({}, lambda b: b.commit("t", "g", 0, 2), None),
    "list_groups": ({}, lambda b: b.commit("t", "g", 0, 2), None),
    "describe_group": ({}, lambda b: b.commit("t", "g", 0, 2), None),
    "get_lag": ({}, seed_t_committed, None),
    "subscribe_commit_mode": ({}, seed_t_committed, None),
    "reset_offset_earliest": ({}, seed_t_committed, lambda b: b.committed("t", "g", 0) == 0),
    "reset_offset_offset": ({}, seed_t_committed, lambda b: b.committed("t", "g", 0) == 7),
    "get_lag_empty_partition_quirk": ({}, seed_e_reset_latest, lambda b: b.committed("e", "ge", 0) == 1),
    "reset_offset_unknown_mode": ({}, seed_t_committed, lambda b: b.committed("t", "g", 0) == 2),
    "delete_group": ({}, lambda b: b.commit("t", "g", 0, 2), lambda b: b.groups() == []),
    "delete_group_unknown_E1": ({}, None, None),
    "fetch_dlq": ({"dlq": True}, seed_dlq, None),
    "fetch_dlq_missing": ({"dlq": True}, None, None),
    "replay_dlq_no_dlq_topic": ({"dlq": True}, None, None),
    "replay_dlq_ok": ({"dlq": True}, seed_dlq,
                      lambda b: b.records("d") == [(0, None, b"v")] and len(b.records("d.dlq")) == 1),
    "replay_dlq_unknown_id": ({"dlq": True}, seed_dlq, None),
    "purge_dlq": ({"dlq": True}, seed_dlq, lambda b: "d.dlq" not in b.topic_names()),
    "txn_begin": ({"transactions": True}, None, None),
    "txn_produce": ({"transactions": True}, None, lambda b: b.partition_count("tx") is None),
    "txn_produce_unknown_E1": ({"transactions": True}, None, None),
    "txn_commit_unknown": ({"transactions": True}, None, None),
    "txn_abort_unknown": ({"transactions": True}, None, None),
    "produce_delayed": ({"delayed": True}, None, lambda b: b.partition_count("dl") is None),
    "produce_with_ttl": ({}, None, lambda b: b.records("tt") == [(0, None, b"v")]),
    "get_schema_missing_E2": ({"schemas": True}, None, None),
    "register_schema": ({"schemas": True}, None, None),
    "get_schema": ({"schemas": True}, register_s, None),
    "list_schemas": ({"schemas": True}, register_s, None),
    "validate_schema_invalid": ({"schemas": True}, register_s, None),
    "produce_with_schema": ({"schemas": True}, register_s, lambda b: b.records("ts") == [(0, None, b'{"a":1}')]),
    "produce_with_schema_invalid_E2": ({"schemas": True}, register_s, lambda b: b.partition_count("ts") is None),
    "delete_schema": ({"schemas": True}, register_s, None),
    "auth_decode_error_E3": ({}, None, None),
    "produce_buffer_too_small_E1": ({}, None, None),
    "produce_invalid_binary_format_E1": ({}, None, None),
    "unknown_opcode_0x04_E1": ({}, None, None),
    "unknown_opcode_0x66_E1": ({}, None, None),
    "pipelined_fetch_x3": ({}, seed_t, None),
}


def test_every_vector_has_a_case():
    assert set(CASES) == set(VECTORS)
    assert len(VECTORS) == 70


@pytest.mark.parametrize("name", list(VECTORS))
def test_captured_vector(name):
    request_hex, response_hex, masks = VECTORS[name]
    options, setup, check = CASES[name]
    request, expected = bytes.fromhex(request_hex), bytes.fromhex(response_hex)
    with Broker(**options) as broker:
        if setup is not None:
            setup(broker)
        if "request_variable_bytes" in masks:
            # The captured request names a transaction id of that run: begin a real one and splice it in.
            with RawConnection(broker.address) as conn:
                txn_id = wire.decode_txn_response(conn.request(Op.TXN_BEGIN).payload)[0].encode()
            start, stop = masks["request_variable_bytes"]
            assert len(txn_id) == stop - start
            request = request[:start] + txn_id + request[stop:]
        got = exchange(broker, request, expected)
        ranges = [masks[k] for k in ("timestamp_bytes", "variable_bytes") if k in masks]
        assert masked(got, ranges).hex() == masked(expected, ranges).hex()
        if "timestamp_bytes" in masks:
            start, stop = masks["timestamp_bytes"]
            ts = int.from_bytes(got[start:stop], "big")
            assert abs(ts - time.time_ns() // 1_000_000) < 60_000
        if check is not None:
            assert check(broker)


def test_txn_begin_id_shape():
    with Broker(transactions=True) as broker, RawConnection(broker.address) as conn:
        ids = [wire.decode_txn_response(conn.request(Op.TXN_BEGIN).payload)[0] for _ in range(3)]
    assert all(re.fullmatch(r"txn-producer-\d{19}-\d{19}", i) for i in ids)
    assert len(set(ids)) == 3


def test_subscribe_commit_mode_registers_member():
    with Broker() as broker:
        seed_t_committed(broker)
        with RawConnection(broker.address) as conn:
            request, response, _ = VECTORS["subscribe_commit_mode"]
            conn.send(bytes.fromhex(request))
            assert conn.read_frame_bytes().hex() == response
            assert len(broker.group_members("t", "g")) == 1


# ---------------------------------------------------------------------------------- flymq-wire §4 table

def seed_t_two(b: Broker) -> None:
    b.produce("t", b"v", key=b"k1")
    b.produce("t", b"w")


def seed_consume_at_3(b: Broker) -> None:
    for i in range(3):
        b.produce("t", f"r{i}".encode())
    b.produce("t", b"v", key=b"k1")


def seed_describe_with_member(b: Broker) -> None:
    b.create_topic("t", 1)
    b.commit("t", "g", 0, 5)


def seed_table_dlq(b: Broker) -> None:
    b.produce("t.dlq", json.dumps(dict(DLQ_RECORD, original_topic="t")).encode())


# name -> (options, setup, request hex, response hex, timestamp mask)
TABLE = {
    "3_produce_response": ({}, None, "af010101 00000012 0001 74 00000002 6b31 00000001 76 ffffffff",
                           "af010101 0000001f 0001 74 00000000 0000000000000000 0000018bcfe56800 00000002 00000001",
                           (23, 31)),
    "4_produce_response_offset_42": (
        {}, lambda b: [b.produce("test", b"x") for _ in range(42)],
        "af010101 00000017 0004 74657374 00000000 00000005 68656c6c6f ffffffff",
        "af010101 00000022 0004 74657374 00000000 000000000000002a 0000018d01472400 ffffffff 00000005", (26, 34)),
    "5_consume": ({}, seed_consume_at_3, "af010201 0000000f 0001 74 00000000 0000000000000003",
                  "af010201 0000000b 00000002 6b31 00000001 76", None),
    "6_8_fetch_two_records": ({}, seed_t_two, "af010701 00000015 0001 74 00000000 0000000000000000 0000000a 0000",
                              "af010701 00000030 00000002 0000000000000002 0000000000000000 00000002 6b31 "
                              "00000001 76 0000000000000001 00000000 00000001 77", None),
    "7_9_fetch_filter_end_of_log": ({}, lambda b: b.create_topic("t", 2),
                                    "af010701 00000018 0001 74 00000001 0000000000000005 00000064 0003 657272",
                                    "af010701 0000000c 00000000 0000000000000005", None),
    "10_create_topic_3": ({}, None, "af010301 00000007 0001 74 00000003", "af010301 00000001 01", None),
    "11_subscribe_latest": ({}, lambda b: [b.produce("t", b"x") for _ in range(7)],
                            "af010501 00000011 0001 74 0001 67 00000000 06 6c6174657374",
                            "af010501 00000008 0000000000000007", None),
    "12_commit": ({}, None, "af010601 00000012 0001 74 0001 67 00000000 0000000000000005",
                  "af010601 00000001 01", None),
    "13_list_topics": ({}, lambda b: [b.create_topic(n) for n in ("t", "a")], "af010801 00000000",
                       "af010801 0000000a 00000002 0001 61 0001 74", None),
    "14_get_offset": ({}, lambda b: b.commit("t", "g", 2, 5), "af016001 0000000a 0001 74 0001 67 00000002",
                      "af016001 00000008 0000000000000005", None),
    "15_reset_offset_offset": ({}, None,
                               "af016101 00000019 0001 74 0001 67 00000000 06 6f6666736574 0000000000000007",
                               "af016101 00000001 01", None),
    "15_reset_offset_earliest": ({}, lambda b: b.create_topic("t"),
                                 "af016101 00000013 0001 74 0001 67 00000000 08 6561726c69657374",
                                 "af016101 00000001 01", None),
    "16_get_lag": ({}, lambda b: ([b.produce("t", b"x") for _ in range(5)], b.commit("t", "g", 0, 2)),
                   "af016401 0000000a 0001 74 0001 67 00000000",
                   "af016401 00000020 0000000000000002 0000000000000002 0000000000000005 0000000000000003", None),
    "17_list_groups": ({}, seed_describe_with_member, "af016201 00000000",
                       "af016201 0000001e 00000001 0001 74 0001 67 00000000 00000001 00000000 0000000000000005",
                       None),
    "18_fetch_dlq": ({"dlq": True}, seed_table_dlq, "af012001 00000007 0001 74 0000000a",
                     "af012001 00000017 00000001 0002 6d31 00000001 76 0004 626f6f6d 00000003", None),
    "18_fetch_dlq_disabled": ({}, seed_table_dlq, "af012001 00000007 0001 74 0000000a",
                              "af012001 00000004 00000000", None),
    "19_replay_dlq_disabled": ({}, seed_table_dlq, "af012101 00000007 0001 74 0002 6d31",
                               "af012101 00000012 00 000f 444c51206e6f7420656e61626c6564", None),
    "19_replay_dlq_ok": ({"dlq": True}, seed_table_dlq, "af012101 00000007 0001 74 0002 6d31",
                         "af012101 00000005 01 0002 4f4b", None),
    "20_txn_commit_passthrough": ({}, None, "af014101 00000004 0002 7831", "af014101 00000005 0002 7831 01", None),
    "20_txn_produce_passthrough": ({}, None, "af014301 0000000c 0002 7831 0001 74 00000001 76",
                                   "af014301 0000001f 0001 74 00000000 0000000000000000 0000000000000000 "
                                   "ffffffff 00000001", (23, 31)),
    "21_auth_ok": ({"users": ["u:pw:admin"]}, None, "af017001 00000007 0001 75 0002 7077",
                   "af017101 00000010 01 0001 75 00000001 05 61646d696e 0000", None),
    "21_whoami_anonymous": ({}, None, "af017201 00000000", "af017201 00000009 00 0000 00000000 0000", None),
    "22_topic_not_found_x": ({}, None, "af010701 00000015 0001 78 00000000 0000000000000000 0000000a 0000",
                             "af01ff00 00000012 746f706963206e6f7420666f756e643a2078", None),
    "22_unknown_opcode_4": ({}, None, "af010401 00000000", "af01ff00 00000011 756e6b6e6f776e206f70636f64653a2034",
                            None),
    "23_cluster_metadata_n1": ({"node_id": "n1", "advertised_addr": ":9092"}, lambda b: b.create_topic("t"),
                               "af015301 00000003 0001 74",
                               "af015301 00000046 000a 7374616e64616c6f6e65 00000001 0001 74 00000001 00000000 "
                               "0002 6e31 0005 3a39303932 0000000000000001 0006 6f6e6c696e65 00000001 0002 6e31 "
                               "00000001 0002 6e31", None),
    "24_produce_delayed_passthrough": ({}, None, "af013001 00000010 0001 74 00000001 76 0000000000001388",
                                       "af013001 0000001f 0001 74 00000000 0000000000000000 0000000000000000 "
                                       "ffffffff 00000001", (23, 31)),
    "24_produce_with_ttl": ({}, None, "af013501 00000010 0001 74 00000001 76 000000000000ea60",
                            "af013501 0000001f 0001 74 00000000 0000000000000000 0000000000000000 "
                            "ffffffff 00000001", (23, 31)),
    "25_produce_with_schema": ({}, None, "af011401 0000000b 0001 74 0001 73 00000001 76",
                               "af011401 0000001f 0001 74 00000000 0000000000000000 0000000000000000 "
                               "ffffffff 00000001", (23, 31)),
}


@pytest.mark.parametrize("name", list(TABLE))
def test_table_vector(name):
    options, setup, request_hex, response_hex, ts_mask = TABLE[name]
    request, expected = bytes.fromhex(request_hex.replace(" ", "")), bytes.fromhex(response_hex.replace(" ", ""))
    with Broker(**options) as broker:
        if setup is not None:
            setup(broker)
        got = exchange(broker, request, expected)
    ranges = [ts_mask] if ts_mask else []
    assert masked(got, ranges).hex() == masked(expected, ranges).hex()


def test_table_17_describe_group_counts_a_subscribed_member():
    expected = "af016301 0000001a 0001 74 0001 67 00000001 00000001 00000000 0000000000000005".replace(" ", "")
    with Broker() as broker:
        seed_describe_with_member(broker)
        with RawConnection(broker.address) as member:
            reply = member.request(Op.SUBSCRIBE, wire.encode_subscribe_request("t", "g", 0, "commit"))
            assert reply.op == Op.SUBSCRIBE
            got = exchange(broker, bytes.fromhex("af016301 00000006 0001 74 0001 67".replace(" ", "")),
                           bytes.fromhex(expected))
    assert got.hex() == expected
