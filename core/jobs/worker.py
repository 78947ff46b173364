"""`python -m core.jobs.worker`: a training worker process for a hosted cohort. It takes jobs from the broker named
by RNN_COURSE_JOB_BROKER (Redis, PostgreSQL or a shared SQLite file), claims each in the cohort database, trains it
and writes progress and the model back there; web replicas only enqueue. Run one per machine (or per two cores);
stop it with Ctrl+C / SIGINT (finishes the current runs) or SIGTERM (at once: its runs go back to the queue after
a minute and start again on another worker).
"""

from __future__ import annotations

import argparse
import sys

from core import logs
from core.cohort import db
from core.cohort.store import StoreError, open_store
from core.jobs import engine
from core.jobs import runs as learner_runs
from core.jobs.registry import Registry
from core.jobs.spec import Budget


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m core.jobs.worker", description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=None,
                        help="training threads in this process (default: RNN_COURSE_TRAIN_JOBS, the cap on runs at "
                             "once across the whole cohort)")
    parser.add_argument("--database", default=None, help="cohort database URL (default: as the app resolves it)")
    parser.add_argument("--broker", default=None, help=f"broker URL (default: ${engine.BROKER_ENV})")
    parser.add_argument("--stale-seconds", type=float, default=None,
                        help="a run whose worker has not written for this long is taken as dead and requeued "
                             "(default 60)")
    parser.add_argument("--check", action="store_true", help="connect, print the configuration and exit")
    args = parser.parse_args(argv)
    log = logs.configure()
    broker = engine.broker_url() if args.broker is None else args.broker
    try:
        store = open_store(db.resolve_url(args.database or db.secrets_url()))
    except StoreError as exc:
        print(f"Cannot open the course database: {exc}", file=sys.stderr)
        return 2
    budget = Budget.from_env()
    workers = args.workers or budget.concurrent
    learner_runs.bind(store)
    registry = Registry(store, budget, broker=broker, consume=False,
                        **({} if args.stale_seconds is None else {"stale_s": args.stale_seconds}))
    print(f"training worker: broker {engine.shown(broker)}, {workers} thread(s), cap {budget.concurrent} run(s) at "
          f"once across the cohort, database {store.engine.url.render_as_string(hide_password=True)}", flush=True)
    if args.check:
        return 0
    if engine.embedded(broker):
        log.warning("%s is not set: this worker shares the embedded queue of a web process on this machine. A hosted "
                    "cohort sets it to redis://... or postgresql://...", engine.BROKER_ENV)
    registry.recover(everything=True)
    engine.consumer(registry.huey, workers, embedded_mode=False).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
