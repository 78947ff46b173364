"""Shipped model weights: checkpoints/<name>.pt plus one manifest.json describing every file (config, vocabulary,
metrics, curves, samples, data hash, recipe, hardware), and the one loader for every model family: load() verifies
the file against the manifest, checks its type and config, builds the model and loads its weights.
"""

from __future__ import annotations

import fcntl
import functools
import json
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from core.data.corpora import REPO_ROOT, Vocab, sha256_file
from core.models.charlm import CharLMConfig
from core.models.charlm import build as build_charlm

CHECKPOINT_DIR = REPO_ROOT / "checkpoints"
FORMAT = 1
MODEL_TYPE = "charlm"  # the default type: char-model entries and files written before types existed


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


# ---------------------------------------------------------------- model families
@dataclass(frozen=True, eq=False)
class Family:
    """How one model family's files are written and rebuilt. A family module declares its own with family() (the
    char LMs' is declared below); save_file(), load_file() and load() look it up by model type."""

    model_type: str
    what: str  # in messages: "a char language model"
    config: Callable[..., Any]  # the config dataclass: config(**dict), with .to_dict()
    build: Callable[[Any], nn.Module]  # config -> a fresh model
    fixed: Mapping[str, Any] = field(default_factory=dict)  # fields the code fixes (vocabularies): written, checked
    several: bool = False  # one file holds several named models: "configs" and "state_dicts", {key: ...}
    manifest_config: tuple[str, ...] = ("config",)  # where the manifest entry keeps the model config(s)
    manifest_fields: Mapping[str, str] = field(default_factory=dict)  # payload fields the entry repeats -> their name
    check: Callable[[dict, Any], str | None] | None = None  # the family's own rule: (payload, config) -> complaint

    def pack(self, per_key: dict) -> Any:
        """{key: value} as a file stores it: the dict for several models, the one value (key None) otherwise."""
        return per_key if self.several else per_key[None]

    def unpack(self, stored: Any) -> dict:
        return dict(stored) if self.several else {None: stored}


FAMILIES: dict[str, Family] = {}
CONFIGS = {False: "config", True: "configs"}  # payload keys, by Family.several
WEIGHTS = {False: "state_dict", True: "state_dicts"}


def family(model_type: str, what: str, config: Callable[..., Any], build: Callable[[Any], nn.Module],
           **options: Any) -> Family:
    """Declare a model family (again, on a module reload) and return it."""
    FAMILIES[model_type] = spec = Family(model_type, what, config, build, **options)
    return spec


def family_of(model_type: str) -> Family:
    if model_type not in FAMILIES:
        raise CheckpointError(f"No loader for model type {model_type!r} (known: {', '.join(sorted(FAMILIES))}); "
                              "its family module in core.training declares it when imported.")
    return FAMILIES[model_type]


# ---------------------------------------------------------------- writing
def _half(state_dict: dict) -> dict:
    return {k: v.detach().cpu().half() if v.is_floating_point() else v.cpu() for k, v in state_dict.items()}


def save_file(path: Path, model: nn.Module | Mapping[str, nn.Module], vocab: Vocab | None = None,
              snapshots: dict[int, dict] | None = None, *, model_type: str = MODEL_TYPE) -> dict:
    """Write weights (float16), config, the family's fixed fields, and a char model's vocabulary and snapshots to
    `path`, atomically; return the file facts for its manifest entry. `model` is {key: model} for a family whose
    files hold several models."""
    fam = family_of(model_type)
    models = fam.unpack(model)
    payload = {"format": FORMAT, "model_type": model_type,
               CONFIGS[fam.several]: fam.pack({k: m.cfg.to_dict() for k, m in models.items()}), **fam.fixed}
    if vocab is not None:
        payload["vocab"] = vocab.chars
    payload[WEIGHTS[fam.several]] = fam.pack({k: _half(m.state_dict()) for k, m in models.items()})
    if snapshots:
        payload["snapshots"] = {int(k): _half(v) for k, v in snapshots.items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(payload, tmp)
    os.replace(tmp, path)
    return {"file": path.name, "bytes": path.stat().st_size, "sha256": sha256_file(path), "dtype": "float16"}


# ---------------------------------------------------------------- reading: verify -> type -> config -> build
def _read(path: Path, fam: Family) -> tuple[dict, dict]:
    """(payload, {key: config}; key None for a single model) of a file of family `fam`, after checking its format,
    type, fixed fields, config(s) and the family's own rule."""
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # truncated zip, not a torch file, ...
        raise CheckpointError(f"{path.name} could not be read as a checkpoint ({type(e).__name__}: {e}).") from e
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path.name} is not a format-{FORMAT} checkpoint.")
    found = payload.get("model_type", MODEL_TYPE)  # char-model files written before files named their type
    if found != fam.model_type:
        raise CheckpointError(f"{path.name} is a {found!r} checkpoint, not {fam.what}.")
    for key, value in fam.fixed.items():
        if payload.get(key) != value:
            raise CheckpointError(f"{path.name}: its {key!r} differs from this code's (trained with another vocabulary).")
    try:
        configs = {k: fam.config(**c) for k, c in fam.unpack(payload[CONFIGS[fam.several]]).items()}
    except (AttributeError, KeyError, TypeError, ValueError) as e:
        raise CheckpointError(f"{path.name} has a broken config ({type(e).__name__}: {e}).") from e
    for cfg in configs.values():
        if fam.check is not None and (complaint := fam.check(payload, cfg)):
            raise CheckpointError(f"{path.name}: {complaint}")
    return payload, configs


def _compare(name: str, e: dict, fam: Family, payload: dict, configs: dict) -> None:
    """The file's config(s) and repeated fields must equal its manifest entry's."""
    where: Any = e
    for key in fam.manifest_config:
        if not isinstance(where, dict) or key not in where:
            raise CheckpointError(f"Checkpoint {name!r}: its manifest entry has no {'.'.join(fam.manifest_config)}.")
        where = where[key]
    for key, conf in fam.unpack(where).items():
        of = f" of {key!r}" if key is not None else ""
        if key not in configs:
            raise CheckpointError(f"Checkpoint {name!r}: the manifest lists a model {key!r} the file does not hold.")
        try:
            expected = fam.config(**conf).to_dict()
        except (TypeError, ValueError) as err:
            raise CheckpointError(f"Checkpoint {name!r}: its manifest entry has a broken config{of} ({err}).") from err
        if configs[key].to_dict() != expected:
            raise CheckpointError(
                f"Checkpoint {name!r}: the file's config{of} {configs[key].to_dict()} differs from the manifest's.")
    for key, label in fam.manifest_fields.items():
        if payload.get(key) != e.get(key):
            raise CheckpointError(f"Checkpoint {name!r}: the file's {label} differs from the manifest's.")


def _build(path: Path, fam: Family, payload: dict, configs: dict, snapshot: int | None,
           device: torch.device | str | None) -> Any:
    """The model in eval mode on `device` ({key: model} for a family of several), weights loaded as float32."""
    if snapshot is None:
        weights = fam.unpack(payload.get(WEIGHTS[fam.several], {}))
    else:  # only single-model files keep snapshots
        snaps = payload.get("snapshots", {})
        if fam.several or snapshot not in snaps:
            raise CheckpointError(f"{path.name} has no snapshot at iteration {snapshot} (has {sorted(snaps)}).")
        weights = {None: snaps[snapshot]}
    models = {}
    for key, cfg in configs.items():
        try:
            model = fam.build(cfg)
            model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in weights[key].items()})
        except Exception as e:  # missing, extra or misshapen weights
            of = f" ({key!r})" if key is not None else ""
            raise CheckpointError(f"{path.name}{of}: weights do not fit the model its config describes "
                                  f"({type(e).__name__}: {e}).") from e
        models[key] = model.eval().to(device or "cpu")
    return fam.pack(models)


def load_file(path: Path, device: torch.device | str | None = None, *, snapshot: int | None = None,
              model_type: str = MODEL_TYPE) -> Any:
    """The model in eval mode on `device` ({key: model} for a family of several) from a checkpoint file of
    `model_type`, checking its structure but not a manifest (for measuring a file just written)."""
    fam = family_of(model_type)
    payload, configs = _read(path, fam)
    return _build(path, fam, payload, configs, snapshot, device)


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
    *,
    model_type: str | None = MODEL_TYPE,
) -> tuple[Any, dict]:
    """(model in eval mode, manifest entry): the one loader for every family. Checks the file's size and sha256
    against the manifest, its type (`model_type`; None: the type its entry names), its config and the fields its
    entry repeats, then builds it and loads the weights; any failure is a CheckpointError saying which. A family
    whose files hold several models gives {key: model}.

    `snapshot=N` loads the weights saved at iteration N of the same run (entries that list "snapshots")."""
    e, path = verify(name, directory)
    found = e.get("model_type", MODEL_TYPE)
    fam = family_of(model_type or found)
    if found != fam.model_type:
        raise CheckpointError(f"Checkpoint {name!r} is a {found!r} model, not {fam.what}.")
    payload, configs = _read(path, fam)
    _compare(name, e, fam, payload, configs)
    return _build(path, fam, payload, configs, snapshot, device), e


def vocab_of(e: dict) -> Vocab:
    return Vocab(e["vocab"])


def _vocab_fits(payload: dict, cfg: CharLMConfig) -> str | None:
    try:
        vocab = Vocab(payload["vocab"])
    except (KeyError, TypeError, ValueError) as e:
        return f"broken vocabulary ({type(e).__name__}: {e})."
    if len(vocab) != cfg.vocab_size:
        return f"vocabulary of {len(vocab)} characters, config says {cfg.vocab_size}."
    return None


CHARLM = family(MODEL_TYPE, "a char language model", CharLMConfig, build_charlm,
                manifest_fields={"vocab": "vocabulary"}, check=_vocab_fits)
