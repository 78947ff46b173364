"""ONE registry of every shipped recipe: name -> title, how to train it and how to re-measure it.

`python -m core.train` and `python -m core.evaluate` dispatch through `RECIPES`; the recipe modules never import
the CLI, so the registry sits above every family and nothing imports back up.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from core.training import agreement, captioning, ntm, seq2seq, seq2seq_eval, stress
from core.training import charlm as charlm_recipes


@dataclass(frozen=True)
class RecipeEntry:
    name: str
    title: str
    family: str  # charlm, seq2seq, stress, captioner, ntm, agreement
    run: Callable[[bool, int], object]  # (resume, torch threads) -> the manifest entry it recorded
    evaluate: Callable[[list[str]], int] | None = None  # a family's own `python -m core.evaluate NAME ...`


def _registry() -> dict[str, RecipeEntry]:
    out: list[RecipeEntry] = [
        RecipeEntry(r.name, r.title, "charlm", partial(charlm_recipes.run, r)) for r in charlm_recipes.RECIPES.values()
    ]
    out += [RecipeEntry(name, r.title, "seq2seq", partial(seq2seq_eval.run_recipe, name), seq2seq_eval.evaluate_main)
            for name, r in seq2seq.RECIPES.items()]
    out.append(RecipeEntry(stress.RECIPE, stress.TITLE, "stress", stress.run, stress.evaluate_main))
    out.append(RecipeEntry(captioning.RECIPE, captioning.TITLE, "captioner", captioning.run))
    out.append(RecipeEntry(ntm.RECIPE, ntm.RECIPES[ntm.RECIPE].title, "ntm", ntm.run))
    out.append(RecipeEntry(agreement.RECIPE, agreement.TITLE, "agreement", agreement.run))
    names = [e.name for e in out]
    assert len(names) == len(set(names)), "recipe names must be unique"
    return {e.name: e for e in out}


RECIPES: dict[str, RecipeEntry] = _registry()
