"""Shipped model weights: checkpoints/<name>.pt plus one manifest.json describing every file (config, vocabulary,
metrics, curves, samples, data hash, recipe, hardware). Loading checks the file against the manifest first.
"""

from __future__ import annotations

import fcntl
import functools
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

from core.data.corpora import REPO_ROOT, Vocab, sha256_file
from core.models.charlm import CharLMConfig, build

CHECKPOINT_DIR = REPO_ROOT / "checkpoints"
FORMAT = 1
MODEL_TYPE = "charlm"  # entries of other model families (e.g. seq2seq) say so in "model_type"


class CheckpointError(RuntimeError):
    """A checkpoint is unknown, missing, truncated, altered, or does not fit its manifest entry."""


def _dir(directory: Path | str | None) -> Path:
    return Path(directory) if directory is not None else CHECKPOINT_DIR


def read_manifest(directory: Path | str | None = None) -> dict:
    """The parsed manifest. Parsed once per version of the file (inode, mtime and size), so pages may call this on
    every rerun; the dict is shared, so treat it as read-only (register() edits a fresh parse)."""
    path = _dir(directory) / "manifest.json"
    try:
        stat = path.stat()
    except FileNotFoundError:
        return {"format": FORMAT, "checkpoints": {}}
    return _parsed(path, stat.st_ino, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=8)
def _parsed(path: Path, _inode: int, _mtime_ns: int, _size: int) -> dict:
    return _parse(path)


def _parse(path: Path) -> dict:
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise CheckpointError(f"{path} is not valid JSON ({e}).") from e
    if manifest.get("format") != FORMAT or not isinstance(manifest.get("checkpoints"), dict):
        raise CheckpointError(f"{path} is not a format-{FORMAT} checkpoint manifest.")
    return manifest


def names(directory: Path | str | None = None, model_type: str | None = MODEL_TYPE) -> list[str]:
    """Checkpoint names in the manifest, of one model type (None: all)."""
    entries = read_manifest(directory)["checkpoints"]
    return sorted(n for n, e in entries.items() if model_type is None or e.get("model_type", MODEL_TYPE) == model_type)


def entry(name: str, directory: Path | str | None = None) -> dict:
    entries = read_manifest(directory)["checkpoints"]
    if name not in entries:
        known = ", ".join(sorted(entries)) or "none"
        raise CheckpointError(f"No checkpoint named {name!r} in the manifest (known: {known}).")
    return entries[name]


def register(name: str, new_entry: dict, directory: Path | str | None = None) -> None:
    """Add or replace one manifest entry (atomic write: a crash never leaves half a manifest)."""
    directory = _dir(directory)
    directory.mkdir(parents=True, exist_ok=True)
    lock = os.open(directory, os.O_RDONLY)  # several training runs may finish at once: lock the folder
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        path = directory / "manifest.json"
        manifest = _parse(path) if path.exists() else {"format": FORMAT, "checkpoints": {}}
        manifest["checkpoints"][name] = new_entry
        manifest["checkpoints"] = dict(sorted(manifest["checkpoints"].items()))
        payload = (json.dumps(manifest, indent=1, ensure_ascii=False) + "\n").encode()
        _atomic_write(directory / "manifest.json", payload)
    finally:
        os.close(lock)  # releases the lock


def _atomic_write(path: Path, payload: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "wb") as f:
        f.write(payload)
    os.chmod(tmp, 0o644)  # mkstemp makes files private; the manifest is shared
    os.replace(tmp, path)


def _half(state_dict: dict) -> dict:
    return {k: v.detach().cpu().half() if v.is_floating_point() else v.cpu() for k, v in state_dict.items()}


def save_file(
    path: Path, model: nn.Module, vocab: Vocab, snapshots: dict[int, dict] | None = None
) -> dict:
    """Write weights (float16) + config + vocabulary to `path`; return the file facts for a manifest entry."""
    payload = {
        "format": FORMAT,
        "config": model.cfg.to_dict(),
        "vocab": vocab.chars,
        "state_dict": _half(model.state_dict()),
    }
    if snapshots:
        payload["snapshots"] = {int(k): _half(v) for k, v in snapshots.items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(payload, tmp)
    os.replace(tmp, path)
    return {"file": path.name, "bytes": path.stat().st_size, "sha256": sha256_file(path), "dtype": "float16"}


def save_typed(path: Path, model_type: str, model: nn.Module, **extra) -> dict:
    """Write another model family's weights (float16) + config (+ `extra`, e.g. vocabularies) to `path`, atomically;
    return the file facts for its manifest entry. The family's loader reads it back with load_typed."""
    payload = {"format": FORMAT, "model_type": model_type, "config": model.cfg.to_dict(), **extra,
               "state_dict": _half(model.state_dict())}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(payload, tmp)
    os.replace(tmp, path)
    return {"file": path.name, "bytes": path.stat().st_size, "sha256": sha256_file(path), "dtype": "float16"}


def load_typed(path: Path, model_type: str, what: str, make: Callable[[dict], nn.Module],
               device: torch.device | str | None = None) -> nn.Module:
    """Read a file written by save_typed: `make(payload)` builds the model from its config (and raises
    CheckpointError when, e.g., a vocabulary does not match); a wrong type, truncated file or misfit weights
    become a CheckpointError that names the file. Returns the model in eval mode on `device`."""
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
        if not isinstance(payload, dict) or payload.get("model_type") != model_type:
            raise CheckpointError(f"it is not {what} checkpoint.")
        model = make(payload)
        model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in payload["state_dict"].items()})
    except CheckpointError as e:
        raise CheckpointError(f"{path.name}: {e}") from e
    except Exception as e:  # truncated file, wrong shapes, missing keys
        raise CheckpointError(f"{path.name} could not be loaded ({type(e).__name__}: {e}).") from e
    return model.eval().to(device or "cpu")


def load_file(path: Path, device: torch.device | str | None = None, snapshot: int | None = None):
    """(model in eval mode, config, vocab) from a checkpoint file, checking its structure but not a manifest."""
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # truncated zip, not a torch file, ...
        raise CheckpointError(f"{path.name} could not be read as a checkpoint ({type(e).__name__}: {e}).") from e
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path.name} is not a format-{FORMAT} checkpoint.")
    try:
        cfg = CharLMConfig(**payload["config"])
        vocab = Vocab(payload["vocab"])
    except (KeyError, TypeError, ValueError) as e:
        raise CheckpointError(f"{path.name} has a broken config or vocabulary ({e}).") from e
    if len(vocab) != cfg.vocab_size:
        raise CheckpointError(f"{path.name}: vocabulary of {len(vocab)} characters, config says {cfg.vocab_size}.")
    if snapshot is None:
        weights = payload["state_dict"]
    else:
        snaps = payload.get("snapshots", {})
        if snapshot not in snaps:
            raise CheckpointError(f"{path.name} has no snapshot at iteration {snapshot} (has {sorted(snaps)}).")
        weights = snaps[snapshot]
    model = build(cfg)
    try:
        model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in weights.items()})
    except RuntimeError as e:
        raise CheckpointError(f"{path.name}: weights do not fit the model its config describes ({e}).") from e
    model.eval()
    return model.to(device or "cpu"), cfg, vocab


def verify(name: str, directory: Path | str | None = None) -> tuple[dict, Path]:
    """The manifest entry and the file path, after checking the file's size and sha256 against the entry."""
    e = entry(name, directory)
    path = _dir(directory) / e["file"]
    if not path.exists():
        raise CheckpointError(f"Checkpoint file {path} for {name!r} is missing.")
    size = path.stat().st_size
    if size != e["bytes"]:
        raise CheckpointError(
            f"Checkpoint {name!r}: {path.name} is {size:,} bytes, the manifest says {e['bytes']:,} "
            "(truncated or replaced file)."
        )
    digest = sha256_file(path)
    if digest != e["sha256"]:
        raise CheckpointError(f"Checkpoint {name!r}: {path.name} has sha256 {digest}, the manifest says {e['sha256']}.")
    return e, path


def load(
    name: str,
    device: torch.device | str | None = None,
    snapshot: int | None = None,
    directory: Path | str | None = None,
) -> tuple[nn.Module, dict]:
    """(model in eval mode, manifest entry). Verifies size, sha256, config and vocabulary; CheckpointError if not.

    `snapshot=N` loads the weights saved at iteration N of the same run (entries that list "snapshots")."""
    e, path = verify(name, directory)
    if e.get("model_type", MODEL_TYPE) != MODEL_TYPE:
        raise CheckpointError(f"Checkpoint {name!r} is a {e['model_type']!r} model, not a char language model.")
    model, cfg, vocab = load_file(path, device, snapshot)
    if cfg.to_dict() != CharLMConfig(**e["config"]).to_dict():
        raise CheckpointError(f"Checkpoint {name!r}: the file's config {cfg.to_dict()} differs from the manifest's.")
    if vocab.chars != list(e["vocab"]):
        raise CheckpointError(f"Checkpoint {name!r}: the file's vocabulary differs from the manifest's.")
    return model, e


def vocab_of(e: dict) -> Vocab:
    return Vocab(e["vocab"])
