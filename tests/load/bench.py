"""Learners per process: N simulated learners speak Streamlit's websocket protocol to the real app (see
tests/load/protocol.py), sign in with its form and walk module pages (page opens, demo sliders, section ticks, text
samples in module 4, the module 2 code lab) with think time between steps.

    python -m tests.load.bench --learners 5,10,20 --seconds 60              # one process, SQLite
    python -m tests.load.bench --replicas 2 --learners 5,10,20 --seconds 60  # deploy/run_replicas.sh: HAProxy + 2
    python -m tests.load.bench --replicas 2 --learners 40 --think 5-10      # a cohort acting every 5-10 s
    python -m tests.load.bench --replicas 1,2 --learners 10,20 --rounds 2   # A/B: phases alternate setups
    python -m tests.load.bench --url http://host:8501 --pid 1234 ...        # a server you started

For each N it prints latency (message sent -> script_finished, the final run when the script reruns itself) p50 /
p95 / max, completed interactions per second, the servers' CPU (cores, process trees, sandboxes included) and
CPU-seconds per interaction, RSS, the cores of PostgreSQL + HAProxy + this bench ("db+px"), and what else used the
machine ("others": every other process's cores, and the load average).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field

import psutil

from tests.load.learner import TOUR, Interaction, Learner
from tests.load.servers import Target, database, postgres_pids, replicated, single


def percentile(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(q * (len(xs) - 1))))]


def _tree(pid: int) -> list[psutil.Process]:
    try:
        p = psutil.Process(pid)
        return [p, *p.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _cpu(pids: list[int]) -> float:
    """CPU seconds of these processes and everything below them (exited children that were waited for too)."""
    total = 0.0
    for pid in pids:
        for p in _tree(pid):
            try:
                t = p.cpu_times()
                total += t.user + t.system + t.children_user + t.children_system
            except psutil.NoSuchProcess:
                pass
    return total


def _rss_mb(pid: int) -> tuple[float, float]:
    """(the process's RSS, its whole tree's RSS) in MB."""
    procs = _tree(pid)
    sizes = []
    for p in procs:
        try:
            sizes.append(p.memory_info().rss / 2**20)
        except psutil.NoSuchProcess:
            sizes.append(0.0)
    return (sizes[0] if sizes else 0.0), sum(sizes)


def _busy() -> float:
    t = psutil.cpu_times()
    return t.user + t.nice + t.system + t.irq + t.softirq + t.steal


@dataclass
class Phase:
    target: str
    learners: int
    think: tuple[float, float]
    seconds: float
    interactions: int = 0
    per_second: float = 0.0
    p50: float = 0.0
    p95: float = 0.0
    max: float = 0.0
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    server_cores: float = 0.0
    replica_cores: list[float] = field(default_factory=list)
    cpu_per_interaction: float = 0.0
    proxy_cores: float = 0.0
    db_cores: float = 0.0
    bench_cores: float = 0.0
    other_cores: float = 0.0
    rss_mb: list[float] = field(default_factory=list)
    tree_rss_mb: list[float] = field(default_factory=list)
    load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)
    kinds: dict[str, dict] = field(default_factory=dict)
    signed_in: int = 0


async def _learners(url: str, n: int, think: tuple[float, float], stop_at: float, ramp: float,
                    seed: int, record) -> None:
    async def one(i: int) -> None:
        await asyncio.sleep(ramp * i / max(1, n))  # stagger the arrivals over the ramp
        await Learner(url, i, record, think=think, seed=seed).run(stop_at)

    tasks = [asyncio.create_task(one(i)) for i in range(n)]
    # after stop_at, give interactions in flight a little time (they are not counted), then cut
    done, pending = await asyncio.wait(tasks, timeout=max(0.0, stop_at - time.monotonic()) + 30)
    for t in pending:
        t.cancel()
    await asyncio.gather(*pending, return_exceptions=True)


def run_phase(target: Target, n: int, seconds: float, think: tuple[float, float], ramp: float,
              seed: int = 0) -> Phase:
    """N learners for ramp + seconds; only interactions that finish inside the last `seconds` count."""
    records: list[Interaction] = []
    phase = Phase(target.label, n, think, seconds, load_before=os.getloadavg())
    me = os.getpid()
    t0 = time.monotonic()
    window = (t0 + ramp, t0 + ramp + seconds)
    marks = {}

    async def sampler() -> None:
        await asyncio.sleep(max(0.0, window[0] - time.monotonic()))
        marks["start"] = _marks(target, me)
        await asyncio.sleep(max(0.0, window[1] - time.monotonic()))
        marks["end"] = _marks(target, me)
        for pid in target.pids:
            rss, tree = _rss_mb(pid)
            phase.rss_mb.append(round(rss))
            phase.tree_rss_mb.append(round(tree))

    async def main() -> None:
        s = asyncio.create_task(sampler())
        await _learners(target.url, n, think, window[1], ramp, seed, records.append)
        await s

    asyncio.run(main())
    phase.load_after = os.getloadavg()
    (ta, cpu_a, px_a, me_a, busy_a, each_a, db_a), (tb, cpu_b, px_b, me_b, busy_b, each_b, db_b) = (marks["start"],
                                                                                             marks["end"])
    wall = tb - ta
    phase.replica_cores = [round((b - a) / wall, 2) for a, b in zip(each_a, each_b, strict=True)]
    counted = [r for r in records if window[0] <= r.started + r.seconds <= window[1]]
    ok = [r for r in counted if r.ok]
    lat = [r.seconds for r in ok]
    phase.signed_in = sum(1 for r in records if r.kind == "signin" and r.ok)
    phase.interactions = len(ok)
    phase.per_second = len(ok) / wall
    phase.p50, phase.p95, phase.max = percentile(lat, 0.5), percentile(lat, 0.95), max(lat, default=float("nan"))
    bad = [r for r in records if not r.ok and r.started + r.seconds <= window[1] + 30]
    phase.errors = len(bad)
    phase.error_samples = [f"{r.kind}: {r.error}" for r in bad[:5]]
    phase.server_cores = (cpu_b - cpu_a) / wall
    phase.cpu_per_interaction = (cpu_b - cpu_a) / len(ok) if ok else float("nan")
    phase.proxy_cores = (px_b - px_a) / wall
    phase.bench_cores = (me_b - me_a) / wall
    phase.db_cores = (db_b - db_a) / wall
    phase.other_cores = max(0.0, (busy_b - busy_a) / wall - phase.server_cores - phase.proxy_cores - phase.bench_cores
                            - phase.db_cores)
    for kind in sorted({r.kind for r in counted}):
        xs = [r.seconds for r in ok if r.kind == kind]
        phase.kinds[kind] = {"n": len(xs), "p50": percentile(xs, 0.5), "p95": percentile(xs, 0.95),
                             "errors": sum(1 for r in counted if r.kind == kind and not r.ok)}
    return phase


def _marks(target: Target, me: int) -> tuple:
    each = [_cpu([pid]) for pid in target.pids]
    proxy = _cpu([target.proxy_pid]) if target.proxy_pid else 0.0
    return time.monotonic(), sum(each), proxy, _cpu_self(me), _busy(), each, _cpu(target.db_pids)


def _cpu_self(pid: int) -> float:
    t = psutil.Process(pid).cpu_times()
    return t.user + t.system


def warm(target: Target) -> None:
    """One learner walks the whole tour on every replica directly, so models, the compiled sampler and the
    sandbox are loaded before anything is timed."""
    records: list[Interaction] = []
    for url in target.replica_urls:
        async def go(u: str = url) -> None:
            learner = Learner(u, 999, records.append, think=(0.0, 0.0))
            learner.step = 0
            await learner.run(time.monotonic() + 600, max_steps=len(TOUR) + 2)
        asyncio.run(go())
    bad = [r for r in records if not r.ok]
    print(f"warm-up: {len(records)} interactions on {len(target.replica_urls)} replica(s) "
          f"in {sum(r.seconds for r in records):.1f} s, {len(bad)} errors"
          + (f" (first: {bad[0].kind}: {bad[0].error})" if bad else ""), flush=True)


def cost(target: Target, tours: int = 2) -> dict[str, dict]:
    """One learner alone, no think time, walks the tour `tours` times: server CPU-seconds (process trees, so the
    sandbox too), wall seconds and bytes sent, per kind of interaction. Run it warm, on an otherwise idle server."""
    rows: list[tuple[str, float, float, int]] = []
    last = [_cpu(target.pids)]

    def record(r: Interaction) -> None:
        now = _cpu(target.pids)
        rows.append((r.kind, now - last[0], r.seconds, r.bytes))
        last[0] = now

    async def go() -> None:
        learner = Learner(target.url, 998, record, think=(0.0, 0.0))
        learner.step = 0
        await learner.run(time.monotonic() + 900, max_steps=tours * len(TOUR))

    asyncio.run(go())
    out = {}
    for kind in dict.fromkeys(k for k, *_ in rows):
        mine = [r for r in rows if r[0] == kind]
        out[kind] = {"n": len(mine), "cpu_s": statistics.median(r[1] for r in mine),
                     "wall_s": statistics.median(r[2] for r in mine), "kb": statistics.median(r[3] for r in mine) / 1e3}
    print(f"cost of one interaction, one learner alone ({tours} tours, medians; load avg {os.getloadavg()[0]:.1f}):")
    print(f"  {'kind':12} {'n':>3} {'server cpu s':>12} {'wall s':>7} {'KB sent':>8}")
    for kind, v in out.items():
        print(f"  {kind:12} {v['n']:>3} {v['cpu_s']:>12.3f} {v['wall_s']:>7.2f} {v['kb']:>8.0f}")
    mix = [k for k, *_ in rows if k != "signin"]
    mean = sum(out[k]["cpu_s"] for k in mix) / max(1, len(mix))
    print(f"  the tour's mix: {mean:.3f} server CPU-s per interaction", flush=True)
    return out


def print_phase(p: Phase, setup: str) -> None:
    la = "/".join(f"{x:.1f}" for x in p.load_before) + " -> " + "/".join(f"{x:.1f}" for x in p.load_after)
    print(f"{setup:>9} {p.learners:>4} {p.interactions:>6} {p.per_second:>7.2f} {p.p50:>6.2f} {p.p95:>6.2f} "
          f"{p.max:>6.1f} {p.errors:>4} {p.server_cores:>6.2f} {p.cpu_per_interaction:>7.3f} "
          f"{'+'.join(str(int(r)) for r in p.rss_mb):>11} {p.db_cores + p.proxy_cores + p.bench_cores:>5.2f} "
          f"{p.other_cores:>6.2f}  {la}", flush=True)


HEADER = (f"{'setup':>9} {'N':>4} {'done':>6} {'inter/s':>7} {'p50 s':>6} {'p95 s':>6} {'max s':>6} {'err':>4} "
          f"{'cores':>6} {'cpu-s/i':>7} {'RSS MB':>11} {'db+px':>5} {'others':>6}  load avg 1/5/15 (start -> end)")


def _setup(replicas: int) -> str:
    return f"{replicas} proxied" if replicas else "1 direct"


def main(argv: list[str] | None = None) -> list[Phase]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--learners", default="5,10,20", help="comma-separated N values, each a phase")
    ap.add_argument("--seconds", type=float, default=60.0, help="measured seconds per phase")
    ap.add_argument("--ramp", type=float, default=None, help="seconds of arrivals before measuring "
                    "(default: 10 + 0.5 s per learner)")
    ap.add_argument("--think", default="1-3", help="think time between a learner's steps, seconds: LO-HI")
    ap.add_argument("--replicas", default="0", help="0: one process without a proxy; N: deploy/run_replicas.sh "
                    "with N replicas behind HAProxy; a list (e.g. 1,2) starts each setup and alternates phases "
                    "between them, so they share whatever else the machine is doing")
    ap.add_argument("--rounds", type=int, default=1, help="repeat the list of N this many times")
    ap.add_argument("--db", choices=["auto", "sqlite", "postgres"], default="auto",
                    help="throwaway database (auto: PostgreSQL behind the proxy, SQLite for one process)")
    ap.add_argument("--url", help="use a running server (or proxy) instead of starting one")
    ap.add_argument("--pid", type=int, action="append", default=[], help="with --url: server pids to measure")
    ap.add_argument("--no-warm", action="store_true", help="skip the warm-up tour")
    ap.add_argument("--cost", action="store_true", help="first measure each kind of interaction alone "
                    "(server CPU-s, wall s, bytes), one learner walking the tour twice")
    ap.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                    help="environment for the servers this starts, e.g. STREAMLIT_RUNNER_POST_SCRIPT_GC=false "
                         "or RNN_COURSE_SANDBOXES=2 (repeatable)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", help="also write the phases as JSON to this file")
    args = ap.parse_args(argv)
    lo, hi = (float(x) for x in args.think.split("-"))
    ns = [int(x) for x in args.learners.split(",") if x]
    setups = [int(x) for x in args.replicas.split(",")]
    for pair in args.env:  # inherited by the servers (tests/e2e/server.py and deploy/run_replicas.sh pass it on)
        key, _, value = pair.partition("=")
        os.environ[key] = value

    phases: list[Phase] = []
    with ExitStack() as stack:
        targets: list[tuple[str, Target]] = []
        if args.url:
            url = args.url.rstrip("/")
            targets.append(("server", Target(url, [url], args.pid, label=f"server at {url}")))
        for replicas in setups if not args.url else []:
            db_kind = args.db if args.db != "auto" else ("postgres" if replicas else "sqlite")
            db_url = stack.enter_context(database(db_kind))
            target = stack.enter_context(replicated(replicas, db_url) if replicas else single(db_url))
            target.label += f", {db_kind}"
            target.db_pids = postgres_pids(db_url) if db_kind == "postgres" else []
            targets.append((_setup(replicas), target))
        for name, target in targets:
            print(f"{name}: {target.label}; pids {target.pids}", flush=True)
        print(f"think {lo:g}-{hi:g} s; {args.seconds:g} s measured per phase; {psutil.cpu_count()} CPUs; "
              f"bench pid {os.getpid()}" + (f"; server env {' '.join(args.env)}" if args.env else ""), flush=True)
        if not args.no_warm:
            for _, target in targets:
                warm(target)
        if args.cost:
            for _, target in targets:
                cost(target)
        if not ns:
            return phases
        print(HEADER, flush=True)
        for _ in range(args.rounds):
            for n in ns:
                for name, target in targets:
                    ramp = args.ramp if args.ramp is not None else 10 + 0.5 * n
                    p = run_phase(target, n, args.seconds, (lo, hi), ramp, seed=args.seed)
                    phases.append(p)
                    print_phase(p, name)
        print("\nper kind (p50 / p95 s, count, errors):")
        for p in phases:
            kinds = "  ".join(f"{k} {v['p50']:.2f}/{v['p95']:.2f} n={v['n']}" + (f" err={v['errors']}" if v["errors"]
                              else "") for k, v in p.kinds.items())
            print(f"  {p.target} N={p.learners}: {kinds}")
        if len(targets) > 1 or args.rounds > 1:
            print("\nbest interactions/s per setup (median over rounds of each N, then the best N):")
            for name, target in targets:
                mine = [p for p in phases if p.target == target.label]
                best = max(statistics.median(p.per_second for p in mine if p.learners == n) for n in ns)
                print(f"  {name:>9}: {best:.2f}")
        errs = [e for p in phases for e in p.error_samples]
        if errs:
            print("errors (first few):", *Counter(errs).most_common(5), sep="\n  ")
        last = phases[-1]
        print(f"last phase: cores per replica {last.replica_cores}; PostgreSQL {last.db_cores:.2f}, HAProxy "
              f"{last.proxy_cores:.2f}, bench {last.bench_cores:.2f} cores; RSS MB per replica incl. sandboxes "
              f"{last.tree_rss_mb}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump([asdict(p) for p in phases], f, indent=1)
    return phases


if __name__ == "__main__":
    main(sys.argv[1:])
