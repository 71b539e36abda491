"""Built-in broker hot paths (issue 10): CPU per pipelined PRODUCE, and filtered FETCH per record.

    python benchmarks/bench_broker.py [--baseline DIR] [--records 200000] [--runs 3]

``--baseline DIR`` holds an older ``pyflymq`` package (``git archive <commit> pyflymq | tar -x -C DIR``);
each figure is then measured for it too, side by side.

1. Pipelined produce: a broker process (``python -m pyflymq.broker``) receives ``--records`` PRODUCE frames
   (10-byte key, 100-byte value, a 4-partition topic) in pipelined batches of 1000; the figure is the
   broker process's CPU time (user + system, from /proc) divided by the records written. Measured twice:
   the same 1000 keys in every batch, and new keys in every batch (no remembered key hash helps).
2. Filtered FETCH: the broker's matcher for a filter without regex metacharacters, run over 100,000 records
   that do not match (the worst case: every rule is tried), in one process; microseconds per record.

min / median / max over ``--runs``. Prints a table; nothing here is a pass/fail test.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

TARGET_PRODUCE_US = 3.5


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def produce_cpu_us(records: int, new_keys: bool = False) -> float:
    """Broker CPU microseconds per pipelined PRODUCE, measured on the broker process. The 1000 frames of a
    batch carry 1000 keys; ``new_keys`` makes every batch use keys never sent before."""
    from pyflymq import wire
    from pyflymq.broker.testing import RawConnection
    from pyflymq.wire import Op

    batch = 1000
    batches = []
    for b in range(records // batch if new_keys else 1):
        batches.append(b"".join(
            wire.encode_frame(Op.PRODUCE, wire.encode_produce_request("bench", b"v" * 100,
                                                                      key=f"k{b:04d}-{i:04d}".encode()))
            for i in range(batch)))
    frames = batches[0]
    # the broker of the version being measured (this process runs with that version first on the path)
    proc = subprocess.Popen([sys.executable, "-m", "pyflymq.broker", "--port", "0"], stdout=subprocess.PIPE,
                            text=True)
    try:
        address = proc.stdout.readline().split()[-1]
        with RawConnection(address, timeout=60) as conn:
            conn.request(Op.CREATE_TOPIC, wire.encode_create_topic_request("bench", 4))
            conn.send(frames)  # warm-up
            for _ in range(batch):
                conn.read_frame_bytes()
            start = _cpu_seconds(proc.pid)
            for n in range(records // batch):
                conn.send(batches[n % len(batches)])
                for _ in range(batch):
                    conn.read_frame_bytes()
            used = _cpu_seconds(proc.pid) - start
    finally:
        proc.kill()
        proc.wait()
    return used / (records // batch * batch) * 1e6


def filter_us(count: int = 100_000) -> float:
    """Microseconds per record for a plain-text filter that matches nothing."""
    from pyflymq.broker.filters import build_matcher

    matcher = build_matcher("needle-in-haystack")
    rows = [(f"key-{i}".encode(), (b'{"id": %d, "status": "ok", "note": "' % i) + b"x" * 60 + b'"}')
            for i in range(count)]
    start = time.perf_counter()
    for key, value in rows:
        matcher(key, value)
    return (time.perf_counter() - start) / count * 1e6


def _child(records: int) -> None:
    import pyflymq

    print(json.dumps({"source": os.path.dirname(os.path.dirname(pyflymq.__file__)),
                      "produce_us": produce_cpu_us(records), "produce_new_keys_us": produce_cpu_us(records, True),
                      "filter_us": filter_us()}))


def _measure(source: str, records: int) -> dict:
    env = dict(os.environ, PYTHONPATH=source + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", "--records", str(records)],
                         capture_output=True, text=True, env=env, cwd=source, timeout=600, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if os.path.realpath(result["source"]) != os.path.realpath(source):
        raise RuntimeError(f"measured {result['source']}, not {source}")
    return result


def _triple(values: list[float]) -> str:
    return f"{min(values):.2f} / {statistics.median(values):.2f} / {max(values):.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", help="directory with an older pyflymq package to compare against")
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", help="also write the figures (after, with their targets) to this JSON file")
    args = parser.parse_args()
    if args.child:
        _child(args.records)
        return
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    versions = [("before", os.path.abspath(args.baseline))] if args.baseline else []
    versions.append(("after", here))
    results: dict[str, list[dict]] = {name: [] for name, _src in versions}
    for run in range(args.runs):
        for name, source in versions:  # interleaved, so both see the same machine load
            results[name].append(_measure(source, args.records))
            print(f"  run {run + 1} {name}: {results[name][-1]}", flush=True)
    print()
    print(f"{'figure (min / median / max)':<46} {'before':>20} {'after':>20}  target")
    saved = []
    for key, label, target in [("produce_us", "broker CPU per pipelined PRODUCE, us", f"<= {TARGET_PRODUCE_US}"),
                               ("produce_new_keys_us", "  the same, every key new", f"<= {TARGET_PRODUCE_US}"),
                               ("filter_us", "plain-text filter, us per non-matching record", "substring")]:
        cells = [_triple([r[key] for r in results[name]]) if name in results else "-" for name in ("before", "after")]
        print(f"{label:<46} {cells[0]:>20} {cells[1]:>20}  {target}")
        median = statistics.median(r[key] for r in results["after"])
        saved.append({"figure": label.strip() + " (min / median / max)", "value": cells[1], "target": target,
                      "met": median <= TARGET_PRODUCE_US if key.startswith("produce") else None})
    if args.json:
        with open(args.json, "w") as out:
            json.dump(saved, out, indent=1)


if __name__ == "__main__":
    main()
