"""``flytui --demo`` makes its data in a broker process of its own (issue 10: startup): the address comes once
the data is in, the data is the demo's, and stopping ends the process."""

from __future__ import annotations

from flytui.demo import COUNTS, TOPICS
from flytui.demo_process import DemoProcess
from pyflymq import connect


def test_the_demo_process_serves_the_seeded_demo_and_ends_on_stop():
    demo = DemoProcess()
    demo.launch()
    try:
        address = demo.wait_address(timeout=120)
        with connect(address, timeout_ms=5000) as client:
            assert set(TOPICS) <= set(client.list_topics())
            seeded = sum(client.watermarks("orders", p)[1] for p in range(TOPICS["orders"]))
            assert seeded >= COUNTS["orders"]  # the live producer may have added a few since
            groups = {g.group_id for g in client.list_groups()}
            assert {"billing-service", "shipping-service", "analytics"} <= groups
        proc = demo.process
    finally:
        demo.stop()
    assert proc is not None and proc.poll() is not None
    demo.stop()  # idempotent
