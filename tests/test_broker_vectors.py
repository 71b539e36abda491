"""Every frame captured from a real FlyMQ 1.26.11 server, replayed against the built-in broker byte for byte.

Each case starts a fresh broker with the options the capture implies, builds the starting state its note
describes, sends the request over a raw socket and compares the reply with the captured one, after masking
the server clock (``timestamp_bytes``) and generated ids (``variable_bytes``). The §4 table of flymq-wire.md
adds the response vectors the broker can produce.
"""

from __future__ import annotations

import json
import pathlib
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


# The 70 frames captured from a real FlyMQ 1.26.11 server: name -> (request_hex, response_hex, masks), where
# masks holds the half-open byte ranges of the response (timestamp_bytes, variable_bytes) or of the request
# (request_variable_bytes) that vary between runs.
_MASK_KEYS = ("timestamp_bytes", "variable_bytes", "request_variable_bytes")
VECTORS = {
    case["name"]: (case["request_hex"], case["response_hex"], {k: tuple(case[k]) for k in _MASK_KEYS if k in case})
    for case in json.loads((pathlib.Path(__file__).parent / "data" / "flymq-vectors.json").read_text())
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
