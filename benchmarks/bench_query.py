"""Filter language benchmark: how many records a second the client-side evaluator decides.

    python benchmarks/bench_query.py [--records 500000] [--rounds 3] [--json FILE]

``--records`` decoded records (``pyflymq.Message``: keyed, JSON values of 100-270 bytes as ``bench_app.py``
writes them) are held in memory, and each query's ``RecordQuery.matches`` runs over all of them (best of
``--rounds``). No network: this is the evaluator's own rate, what a search pays per record on top of fetching.

* a plain substring (``refunded``), which flytui evaluates when it cannot hand it to the broker;
* ``$.amount > 100`` (every value decoded as JSON);
* ``$.event == "paid" and key ~ /^user-00/`` (a path and a regex on the key).

Target for the substring: at least 200,000 records/s, the whole-topic search's aim (issue 9).
Prints a table; nothing here is a pass/fail test.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from _measure import report  # noqa: E402  (benchmarks/ is on sys.path)
from bench_app import make_record  # noqa: E402

from flytui.record_query import compile_query  # noqa: E402
from pyflymq.models import Message  # noqa: E402

SUBSTRING_TARGET = 200_000

QUERIES = [
    ("substring", "refunded", SUBSTRING_TARGET),
    ("$.amount > 100", "$.amount > 100", None),
    ("path and key regex", '$.event == "paid" and key ~ /^user-00/', None),
]


def records(count: int) -> list[Message]:
    """``count`` records as a FETCH would decode them (three partitions)."""
    result = []
    for n in range(count):
        key, value = make_record(n)
        result.append(Message("bench", n % 3, n // 3, key, value))
    return result


def rate(text: str, messages: list[Message], rounds: int) -> tuple[float, int]:
    """Best records/s of ``rounds`` passes of the query over ``messages``, and how many matched."""
    query = compile_query(text)
    matches = query.matches
    best = 0.0
    matched = 0
    for _ in range(rounds):
        started = time.perf_counter()
        matched = sum(1 for message in messages if matches(message))
        best = max(best, len(messages) / (time.perf_counter() - started))
    return best, matched


def main() -> None:
    """Build the records, time each query, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=500_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", help="also write the rows to this JSON file")
    args = parser.parse_args()
    messages = records(args.records)
    rows: list[tuple[object, ...]] = []
    for name, text, target in QUERIES:
        per_second, matched = rate(text, messages, args.rounds)
        note = f"{text}  ({matched:,} of {len(messages):,} match)"
        if target is None:
            rows.append((f"{name} (records/s)", f"{per_second:,.0f}", note))
        else:
            rows.append((f"{name} (records/s)", f"{per_second:,.0f}", f">= {target:,}; {note}",
                         per_second >= target))
    report(rows, args.json)


if __name__ == "__main__":
    main()
