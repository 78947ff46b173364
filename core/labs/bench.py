"""Measure the grader: click-to-result time of a NumPy lab, and 50 submissions arriving at once.

    python -m core.labs.bench [--runs 30] [--burst 50] [--mode fork|spawn] [--lab rnn_step] [--json]

"Click to result" is what the Run button waits for: building the hidden tests, a fresh sandboxed child (forked
or spawned), the learner's code and tests in it, and the server's checks. During the burst a ticker thread in
the same process measures how late it wakes up, as a sign of whether the server could keep serving pages.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import statistics
import threading
import time

from core.labs import exercises, grader, sandbox

TARGET_MEDIAN_MS = 300.0
TARGET_P95_WAIT_S = 5.0


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def single(lab_id: str, runs: int) -> dict:
    lab = exercises.get(lab_id)
    cold_start = time.perf_counter()
    first = exercises.grade(lab, lab.solution)
    cold = time.perf_counter() - cold_start
    times = []
    for i in range(runs):
        start = time.perf_counter()
        report = exercises.grade(lab, lab.solution, seed=i, learner="bench")
        times.append((time.perf_counter() - start) * 1000)
        assert report.all_passed, report.message
    return {"lab": lab_id, "runs": runs, "cold_first_ms": round(cold * 1000, 1), "first_passed": first.all_passed,
            "median_ms": round(statistics.median(times), 1), "p95_ms": round(_pct(times, 95), 1),
            "min_ms": round(min(times), 1), "max_ms": round(max(times), 1)}


def burst(lab_id: str, n: int) -> dict:
    lab = exercises.get(lab_id)
    gate = threading.Barrier(n + 1)
    waits: list[float] = [0.0] * n
    passed: list[bool] = [False] * n
    statuses: list[str] = [""] * n

    def submit(i: int) -> None:
        gate.wait()
        start = time.perf_counter()
        report = exercises.grade(lab, lab.solution, seed=i, learner=f"learner-{i}")
        waits[i] = time.perf_counter() - start
        passed[i], statuses[i] = report.all_passed, report.status

    lags: list[float] = []
    stop = threading.Event()

    def ticker() -> None:
        while not stop.is_set():
            t = time.perf_counter()
            time.sleep(0.01)
            lags.append((time.perf_counter() - t - 0.01) * 1000)

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    tick = threading.Thread(target=ticker)
    tick.start()
    start = time.perf_counter()
    gate.wait()
    for t in threads:
        t.join()
    total = time.perf_counter() - start
    stop.set()
    tick.join()
    return {"submissions": n, "all_graded": all(s == "graded" for s in statuses), "all_passed": all(passed),
            "concurrent_sandboxes": grader.MAX_SANDBOXES, "wall_s": round(total, 2),
            "p50_wait_s": round(_pct(waits, 50), 2), "p95_wait_s": round(_pct(waits, 95), 2),
            "max_wait_s": round(max(waits), 2), "ticker_lag_p95_ms": round(_pct(lags, 95), 1),
            "ticker_lag_max_ms": round(max(lags), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--burst", type=int, default=50)
    parser.add_argument("--mode", choices=("fork", "spawn"), default=None)
    parser.add_argument("--lab", default="rnn_step")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.mode:
        grader._sandbox = sandbox.Sandbox(args.mode)
        grader._hardened = sandbox.harden_server()
        atexit.register(grader._sandbox.close)
    result = {"cpus": os.cpu_count(), "load_avg_before": [round(x, 2) for x in os.getloadavg()],
              "single": single(args.lab, args.runs), "burst": burst(args.lab, args.burst),
              "layers": grader.layers()}
    result["mode"] = result["layers"].get("mode")
    if args.json:
        print(json.dumps(result, indent=2))
        return
    s, b = result["single"], result["burst"]
    print(f"sandbox: {result['mode']} on {result['cpus']} CPUs (load average before: {result['load_avg_before']})")
    print(f"layers: {result['layers']}")
    print(f"{s['lab']} graded click-to-result over {s['runs']} runs: median {s['median_ms']} ms, p95 {s['p95_ms']} "
          f"ms, min {s['min_ms']} ms (cold first run: {s['cold_first_ms']} ms) -> target "
          f"<= {TARGET_MEDIAN_MS:g} ms: {'met' if s['median_ms'] <= TARGET_MEDIAN_MS else 'MISSED'}")
    print(f"{b['submissions']} submissions at once ({b['concurrent_sandboxes']} sandboxes at a time): all graded "
          f"{b['all_graded']}, all passed {b['all_passed']}, wall {b['wall_s']} s, wait p50 {b['p50_wait_s']} s, "
          f"p95 {b['p95_wait_s']} s, max {b['max_wait_s']} s -> target p95 <= {TARGET_P95_WAIT_S:g} s: "
          f"{'met' if b['p95_wait_s'] <= TARGET_P95_WAIT_S else 'MISSED'}")
    print(f"in-process 10 ms ticker during the burst: lag p95 {b['ticker_lag_p95_ms']} ms, "
          f"max {b['ticker_lag_max_ms']} ms")


if __name__ == "__main__":
    main()
