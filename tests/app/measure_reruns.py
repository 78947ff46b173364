"""`python -m tests.app.measure_reruns [--runs 3]`: the server-side time to open each module page
(AppTest: Home, then the page, for a returning learner with caches filled), median of N. README's per-page rerun figures come from here
(the AppTest tests only check that each page renders)."""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from core.settings import REPO_ROOT

PAGES = sorted(p.name for p in (REPO_ROOT / "pages").glob("m[01][0-9]_*.py"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["RNN_COURSE_DATABASE_URL"] = f"sqlite:///{Path(tmp) / 'course.db'}"
        from core.cohort.store import open_store
        from tests.app.conftest import open_page

        _, token = open_store(os.environ["RNN_COURSE_DATABASE_URL"]).create_learner("Bench")
        print(f"load average {os.getloadavg()[0]:.2f}")
        for name in PAGES:
            times = []
            for i in range(args.runs + 1):
                start = time.perf_counter()
                at = open_page(f"pages/{name}", token)  # Home, then the page, as a learner's link does
                if i:  # the first run fills the caches
                    times.append(time.perf_counter() - start)
                assert not at.exception, (name, at.exception)
            print(f"{name:28} warm rerun median {statistics.median(times):.2f} s (runs: "
                  + ", ".join(f"{t:.2f}" for t in times) + ")")


if __name__ == "__main__":
    main()
