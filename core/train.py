"""`python -m core.train --recipe NAME [--resume]`: train a shipped checkpoint from its recipe and record it.

Every recipe is in core.training.recipes (the char-LM ones in core.training.charlm), so each number in checkpoints/manifest.json can be reproduced. A run saves a resumable
state every couple of minutes under $RNN_COURSE_RUNS_DIR (default ~/.cache/rnn-course/runs); `--resume`
continues from it. At the end the weights go to checkpoints/NAME.pt and the manifest gets the measured metrics
(re-measured on the saved float16 file), curves, samples at tau 0.5 / 0.8 / 1.2, data hash, recipe, hardware.
"""

from __future__ import annotations

import argparse
import sys

from core import logs
from core.models import inference
from core.training import recipes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", help="recipe name (see --list)")
    parser.add_argument("--resume", action="store_true", help="continue from the saved run state")
    parser.add_argument("--list", action="store_true", help="list the recipes")
    args = parser.parse_args(argv)
    logs.configure()
    if args.list or not args.recipe:
        for r in recipes.RECIPES.values():
            print(f"{r.name:24} {r.title}")
        return 0
    if args.recipe not in recipes.RECIPES:
        print(f"Unknown recipe {args.recipe!r}; known: {', '.join(recipes.RECIPES)}", file=sys.stderr)
        return 2
    recipes.RECIPES[args.recipe].run(args.resume, inference.configure_threads())
    return 0


if __name__ == "__main__":
    sys.exit(main())
