"""Measure the grader: click-to-result time of a NumPy lab, 50 submissions arriving at once, and another learner's
wait while hostile submissions run.

    python -m core.labs.bench [--runs 30] [--burst 50] [--mode fork|spawn] [--lab rnn_step] [--json]
    python -m core.labs.bench --attacks [--attack-seconds 6] [--mode fork|spawn] [--json]

"Click to result" is what the Run button waits for: building the hidden tests, a fresh sandboxed child (forked
or spawned), the learner's code and tests in it, and the server's checks. During the burst a ticker thread in
the same process measures how late it wakes up, as a sign of whether the server could keep serving pages.
`--attacks` runs each hostile submission in a loop (one attacker) while a bystander submits the rnn_step reference
every 0.25 s, and reports the bystander's click-to-result time and the server's CPU time per hostile submission
(the grading thread's own); then every sandbox at once is held by sleepers, one per learner.
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
TARGET_BYSTANDER_S = 1.0  # another learner's correct code, graded while one attack runs
TARGET_ATTACK_CPU_MS = 50.0  # the server's CPU time per hostile submission

_SIGNATURE = "def rnn_step(x, h_prev, W_xh, W_hh, b_h):\n"
ATTACKS = {  # hostile submissions for the rnn_step lab, as reported by the audit
    "process-group escape": ("import os, time\ntry:\n    os.setpgid(0, os.getpgid(os.getppid()))\nexcept OSError:\n"
                             "    pass\n" + _SIGNATURE + "    while True:\n        try:\n            time.sleep(100)\n"
                             "        except BaseException:\n            pass\n"),
    "sleeper (just under each test's time)": ("import time\nimport numpy as np\n" + _SIGNATURE + "    time.sleep(1.9)\n"
                                              "    return np.tanh(W_xh @ x + W_hh @ h_prev + b_h)\n"),
    "big payload (199k floats per test)": _SIGNATURE + "    return [[0.5] * 1000] * 199\n",
    "forged 4 MB result line": ("import os\n" + _SIGNATURE + "    item = b'{\"t\":\"float\",\"v\":\"0x1p+0\"},'\n"
                                "    os.write(3, b'{\"id\":\"t0\",\"ok\":true,\"value\":{\"t\":\"list\",\"v\":[' "
                                "+ item * 150000 + b'{\"t\":\"none\"}]}}\\n')\n    return x\n"),
}


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


def _bystander(lab: exercises.Lab, busy: threading.Event, learner: str = "bystander") -> list[float]:
    """Submit the reference every 0.25 s while `busy` is set; each click-to-result time in seconds."""
    times = []
    while busy.is_set():
        start = time.perf_counter()
        report = exercises.grade(lab, lab.solution, seed=len(times), learner=learner)
        times.append(time.perf_counter() - start)
        assert report.all_passed, (report.status, report.message)
        time.sleep(0.25)
    return times


def _attack(lab: exercises.Lab, attackers: dict[str, str], seconds: float) -> dict:
    """Each attacker (learner -> code) resubmits at once for `seconds`; a bystander submits meanwhile."""
    busy = threading.Event()
    busy.set()
    reports: list[grader.GradeReport] = []
    bystander: list[float] = []

    def attacker(name: str, code: str) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            reports.append(exercises.grade(lab, code, seed=len(reports), learner=name))

    threads = [threading.Thread(target=attacker, args=item) for item in attackers.items()]
    for t in threads:
        t.start()
    time.sleep(0.3)  # the attack is under way
    watcher = threading.Thread(target=lambda: bystander.extend(_bystander(lab, busy)))
    watcher.start()
    for t in threads:
        t.join()
    busy.clear()
    watcher.join()
    cpu_ms = [r.cpu_seconds * 1000 for r in reports]
    return {"attack_runs": len(reports), "attack_statuses": sorted({r.status for r in reports}),
            "attack_run_s_max": round(max(r.seconds for r in reports), 2),
            "attack_server_cpu_ms_mean": round(statistics.mean(cpu_ms), 1),
            "attack_server_cpu_ms_max": round(max(cpu_ms), 1),
            "first_attack_message": _said(reports[0]) if reports else "",
            "bystander_runs": len(bystander), "bystander_median_s": round(statistics.median(bystander), 3),
            "bystander_max_s": round(max(bystander), 3)}


def _said(report: grader.GradeReport) -> str:
    return (report.message or next((r.message for r in report.results if not r.passed), ""))[:200]


def attacks(seconds: float) -> dict:
    lab = exercises.get("rnn_step")
    exercises.grade(lab, lab.solution, learner="warm-up")
    found = {name: _attack(lab, {"mallory": code}, seconds) for name, code in ATTACKS.items()}
    sleepers = {f"sleeper-{i}": ATTACKS["sleeper (just under each test's time)"] for i in range(grader.MAX_SANDBOXES)}
    found["every sandbox held by sleepers"] = _attack(lab, sleepers, max(seconds, 12.0))
    return found


def _print_attacks(found: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(found, indent=2))
        return
    print(f"{os.cpu_count()} CPUs, {grader.MAX_SANDBOXES} sandboxes, load average {os.getloadavg()[0]:.2f}; "
          f"total time per submission {sandbox.Limits().total_wall_s:g} s")
    for name, r in found.items():
        alone = name != "every sandbox held by sleepers"
        target = TARGET_BYSTANDER_S if alone else sandbox.Limits().total_wall_s + TARGET_BYSTANDER_S
        met = "met" if r["bystander_max_s"] < target else "MISSED"
        cpu = "met" if r["attack_server_cpu_ms_max"] < TARGET_ATTACK_CPU_MS else "MISSED"
        print(f"- {name}: {r['attack_runs']} hostile runs ({', '.join(r['attack_statuses'])}, longest "
              f"{r['attack_run_s_max']} s); bystander graded {r['bystander_runs']} times, median "
              f"{r['bystander_median_s'] * 1000:.0f} ms, max {r['bystander_max_s'] * 1000:.0f} ms -> target "
              f"< {target:g} s: {met}; server CPU per hostile run mean {r['attack_server_cpu_ms_mean']} ms, max "
              f"{r['attack_server_cpu_ms_max']} ms -> target < {TARGET_ATTACK_CPU_MS:g} ms: {cpu}")
        print(f"    first hostile run said: {r['first_attack_message']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--burst", type=int, default=50)
    parser.add_argument("--mode", choices=("fork", "spawn"), default=None)
    parser.add_argument("--lab", default="rnn_step")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--attacks", action="store_true", help="another learner's wait during hostile submissions")
    parser.add_argument("--attack-seconds", type=float, default=6.0)
    args = parser.parse_args()
    if args.mode:
        grader._sandbox = sandbox.Sandbox(args.mode)
        grader._hardened = sandbox.harden_server()
        atexit.register(grader._sandbox.close)
    if args.attacks:
        _print_attacks(attacks(args.attack_seconds), args.json)
        return
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

