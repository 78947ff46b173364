"""Whether a demo's checkpoint ships with this copy of the course, asked without loading it: a lesson widget
shows a note instead of its demo when the answer is no."""

from __future__ import annotations

from core.training import checkpoints


def is_shipped(name: str, model_type: str | None) -> bool:
    """True when checkpoints/manifest.json lists `name` (of `model_type`; None: of any type); False, not an error,
    when the manifest is missing or unreadable."""
    try:
        return name in checkpoints.names(model_type=model_type)
    except checkpoints.CheckpointError:
        return False
