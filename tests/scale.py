"""A big cluster for the scale benchmark and its smoke test: many topics, one wide topic, many groups.

:func:`seed_big_cluster` fills a built-in :class:`~pyflymq.broker.Broker` in process (no network round trip per
record), so that building 500 topics and 200 groups × 64 partitions of committed offsets takes about a second.
The shape is the one that made the groups pane stall: 502 topics, a 64-partition topic, 200 groups on it.
"""

from __future__ import annotations

from dataclasses import dataclass

WIDE_TOPIC = "wide-orders"


@dataclass(frozen=True)
class ClusterShape:
    """How big :func:`seed_big_cluster` makes the cluster."""

    small_topics: int = 501
    wide_partitions: int = 64
    groups: int = 200
    records_per_wide_partition: int = 40

    @property
    def topics(self) -> int:
        """Topics in all (the small ones and the wide one)."""
        return self.small_topics + 1

    @property
    def group_rows(self) -> int:
        """Rows of a fully expanded groups table on the wide topic: a summary and one row per partition."""
        return self.groups * (self.wide_partitions + 1)


FULL = ClusterShape()
SMOKE = ClusterShape(small_topics=120, wide_partitions=32, groups=60, records_per_wide_partition=5)


def seed_big_cluster(broker, shape: ClusterShape = FULL) -> None:
    """Create the topics, records and groups of ``shape`` on ``broker`` (a running in-process Broker)."""
    for i in range(shape.small_topics):
        name = f"svc-{i:03d}.events"
        broker.create_topic(name, 1 + i % 3)
        broker.produce(name, b'{"n": %d}' % i, key=b"k%d" % i)
    broker.create_topic(WIDE_TOPIC, shape.wide_partitions)
    for n in range(shape.records_per_wide_partition * shape.wide_partitions):
        broker.produce(WIDE_TOPIC, b'{"order": %d}' % n, key=b"cust-%06d" % n)
    for g in range(shape.groups):
        group = f"consumer-group-{g:03d}"
        for p in range(shape.wide_partitions):
            broker.commit(WIDE_TOPIC, group, p, (g + p) % (shape.records_per_wide_partition + 1))
