"""Runs saved to one file and loaded back: config, weights, optimiser and RNG states, step and history, written
with `torch.save` of tensors and plain containers only and read with `torch.load(weights_only=True)`, so a file
from a stranger cannot run code. A file that is not a run, a run of another kind, a newer format or a config the
app cannot use is refused with a ValueError naming what is wrong, and nothing that exists is changed."""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import fields
from typing import Any, ClassVar

import numpy as np
import torch
from torch import Tensor

FORMAT = "gan-playground-run"
FORMAT_VERSION = 1
MAX_FILE_BYTES = 64 * 2**20  # well above any run the widgets allow (≈ 2 MB at the defaults); caps what is read
# Fields that size the networks and the batch: a file may not go past their widgets' maxima, which is what
# keeps building a run from a stranger's config within memory before any tensor is compared.
SIZE_FIELDS = ("batch_size", "latent_size", "generator_hidden_units", "generator_depth", "critic_hidden_units",
               "critic_depth")


class Checkpointable:
    """Save and load for a run class. A class states its kind and its parts; this mixin does the file format,
    the safe loading and the checks. `_checkpoint_config()` is a JSON-able dict, `_from_checkpoint_config(d)`
    builds a fresh run from it (raising ValueError for a config it cannot use), `_checkpoint_state()` returns
    tensors and plain containers, and `_restore_checkpoint_state(state, template)` loads them into a fresh run,
    comparing them with `template` (the fresh run's own state) through `check_like` before changing anything."""

    CHECKPOINT_KIND: ClassVar[str]    # stable id in the file
    CHECKPOINT_LABEL: ClassVar[str]   # for messages: "this is a Compare run, not a Mode collapse run"

    # --- what each class states ------------------------------------------------------------------------------
    def _checkpoint_config(self) -> dict[str, Any]:
        raise NotImplementedError

    @classmethod
    def _from_checkpoint_config(cls, config: dict[str, Any]):
        raise NotImplementedError

    def _checkpoint_state(self) -> dict[str, Any]:
        raise NotImplementedError

    def _restore_checkpoint_state(self, state: dict[str, Any], template: dict[str, Any]) -> None:
        raise NotImplementedError

    # --- the shared part -------------------------------------------------------------------------------------
    def to_bytes(self) -> bytes:
        """The run as one file's bytes (for a download button)."""
        buffer = io.BytesIO()
        torch.save({"format": FORMAT, "version": FORMAT_VERSION, "kind": self.CHECKPOINT_KIND,
                    "config": self._checkpoint_config(), "state": self._checkpoint_state()}, buffer)
        return buffer.getvalue()

    def save(self, path: str | os.PathLike) -> None:
        """Write the run to `path`; `load(path)` continues it bit for bit (on the CPU)."""
        data = self.to_bytes()
        with open(path, "wb") as file:
            file.write(data)

    @classmethod
    def load(cls, path: str | os.PathLike):
        """A new run from a file written by `save` (this class's kind only). Raises ValueError naming what is
        wrong with any other file."""
        size = os.path.getsize(path)
        if size > MAX_FILE_BYTES:
            raise ValueError(f"The file is {size / 2**20:.0f} MB; a run file is at most {MAX_FILE_BYTES // 2**20} MB.")
        with open(path, "rb") as file:
            return cls.from_bytes(file.read())

    @classmethod
    def from_bytes(cls, data: bytes):
        """A new run from `to_bytes()` output; ValueError (with the reason) for anything else."""
        payload = read_payload(data)
        kind = payload["kind"]
        if kind != cls.CHECKPOINT_KIND:
            other = RUN_LABELS.get(kind) if isinstance(kind, str) else None
            what = f"a {other} run" if other else f"a run of an unknown kind {str(kind)[:40]!r}"
            raise ValueError(f"This is {what}, not a {cls.CHECKPOINT_LABEL} run.")
        if not isinstance(payload["config"], dict):
            raise ValueError("The file's config is not a table of settings.")
        run = cls._from_checkpoint_config(payload["config"])
        if not isinstance(payload["state"], dict):
            raise ValueError("The file's run state is not a table.")
        run._restore_checkpoint_state(payload["state"], run._checkpoint_state())
        return run


RUN_LABELS: dict[str, str] = {}  # kind -> label, filled by `register`, for "this is a … run" messages


def register(cls):
    """Class decorator: make a run kind known to the messages of every other kind."""
    RUN_LABELS[cls.CHECKPOINT_KIND] = cls.CHECKPOINT_LABEL
    return cls


def read_payload(data: bytes) -> dict[str, Any]:
    """Unpickle `data` with torch's weights-only loader (tensors and plain containers; anything that would import
    or call code is refused) and check the envelope: format name and version."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise ValueError("A run file must be bytes.")
    if len(data) > MAX_FILE_BYTES:
        raise ValueError(f"The file is {len(data) / 2**20:.0f} MB; a run file is at most {MAX_FILE_BYTES // 2**20} MB.")
    _refuse_compressed(bytes(data))
    try:
        payload = torch.load(io.BytesIO(bytes(data)), map_location="cpu", weights_only=True)
    except Exception as error:  # noqa: BLE001 - every way a stranger's bytes fail to load is the same answer
        reason = str(error).strip().splitlines()[0][:200] if str(error).strip() else type(error).__name__
        raise ValueError(f"This file is not a saved run (it could not be read safely: {reason}).") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ValueError("This file is not a saved run of the GAN Playground (its header is missing).")
    version = payload.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ValueError(f"The file's format version {str(version)[:20]!r} is not a version number.")
    if version > FORMAT_VERSION:
        raise ValueError(f"This run was saved by a newer version of the app (format {version}); this app reads "
                         f"format {FORMAT_VERSION}.")
    missing = [key for key in ("kind", "config", "state") if key not in payload]
    if missing:
        raise ValueError(f"The file lacks its {', '.join(missing)}.")
    return payload


def _refuse_compressed(data: bytes) -> None:
    """torch.save writes its zip entries uncompressed, so what a run file unpacks to is bounded by its length; a
    compressed entry (a few KB that would inflate to gigabytes) is refused before anything is unpacked."""
    try:
        entries = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return  # not a zip: torch.load refuses it, or reads a legacy file no larger than itself
    if any(entry.compress_type != zipfile.ZIP_STORED for entry in entries):
        raise ValueError("This file is not a saved run (it holds compressed parts, which a run file never has).")
    if sum(entry.file_size for entry in entries) > MAX_FILE_BYTES:
        raise ValueError(f"This file unpacks to more than {MAX_FILE_BYTES // 2**20} MB; a run file is smaller.")


def training_config_from(values: Any, where: str = "config"):
    """A `TrainingConfig` from a file's settings, strictly: an unknown setting, a value `TrainingConfig` refuses
    or a network or batch size beyond its widget's maximum is an error (ValueError) naming the setting. Settings
    missing from the file take their defaults, so files keep their meaning as fields are added."""
    from playground.training import TrainingConfig

    if not isinstance(values, dict):
        raise ValueError(f"The file's {where} is not a table of settings.")
    specs = TrainingConfig.field_specs()
    unknown = [str(key)[:40] for key in values if key not in specs]
    if unknown:
        raise ValueError(f"The file's {where} has settings this app does not know: {', '.join(unknown)}.")
    for name in SIZE_FIELDS:
        value = values.get(name, specs[name]["default"])
        if isinstance(value, int | float) and not isinstance(value, bool) and value > specs[name]["max"]:
            raise ValueError(f"The file's {where} has {name}={value!r}, above this app's maximum "
                             f"{specs[name]['max']}.")
    for name, value in values.items():
        if type(value) is not specs[name]["type"] and not (specs[name]["type"] is float and type(value) is int):
            raise ValueError(f"The file's {where} has {name}={str(value)[:40]!r}, not a "
                             f"{specs[name]['type'].__name__}.")
    try:
        return TrainingConfig(**values)
    except (TypeError, ValueError) as error:
        raise ValueError(f"The file's {where} cannot be used: {error}") from None


def dataclass_from(config_class: type, values: Any, limits: Mapping[str, tuple[float, float]]):
    """A settings dataclass from a file's table, strictly: every key a field, every value of the field's default's
    type, numbers inside `limits` (name -> (low, high)) where given; then the class's own checks."""
    if not isinstance(values, dict):
        raise ValueError("The file's config is not a table of settings.")
    defaults = {item.name: item.default for item in fields(config_class)}
    unknown = [str(key)[:40] for key in values if key not in defaults]
    if unknown:
        raise ValueError(f"The file's config has settings this app does not know: {', '.join(unknown)}.")
    for name, value in values.items():
        kind = type(defaults[name])
        if type(value) is not kind and not (kind is float and type(value) is int):
            raise ValueError(f"The file's config has {name}={str(value)[:40]!r}, not a {kind.__name__}.")
        if name in limits and not limits[name][0] <= value <= limits[name][1]:
            raise ValueError(f"The file's config has {name}={value!r}, outside [{limits[name][0]}, {limits[name][1]}].")
    try:
        return config_class(**values)
    except (TypeError, ValueError) as error:
        raise ValueError(f"The file's config cannot be used: {error}") from None


def numpy_rng_checker(template: dict[str, Any]) -> Callable[[Any, str], None]:
    """A `check_like` rule for a numpy Generator's bit_generator.state (plain dicts of str and int)."""
    def check(value: Any, where: str) -> None:
        check_like(value, template, where)
        if value.get("bit_generator") != template.get("bit_generator"):
            raise ValueError(f"{where} is not a {template.get('bit_generator')} state.")
        try:
            np.random.default_rng().bit_generator.__class__().state = value
        except (TypeError, ValueError, KeyError, OverflowError) as error:
            raise ValueError(f"{where} is not a usable random state: {error}") from None
    return check


# --- checking a stranger's state against a fresh run's own ----------------------------------------------------

def check_like(value: Any, template: Any, where: str, variable: Mapping[str, Callable[[Any, str], None]] = {}
               ) -> None:
    """Raise ValueError unless `value` has `template`'s structure: the same keys, lengths and types, and tensors of
    the same dtype and shape. Paths in `variable` (e.g. "history") are checked by their own function instead."""
    if where in variable:
        variable[where](value, where)
        return
    if isinstance(template, Tensor):
        if not isinstance(value, Tensor):
            raise ValueError(f"{where} should be a tensor, not {type(value).__name__}.")
        if value.dtype != template.dtype or value.shape != template.shape:
            raise ValueError(f"{where} has shape {tuple(value.shape)} ({value.dtype}); this run's settings make it "
                             f"{tuple(template.shape)} ({template.dtype}).")
        return
    if isinstance(template, dict):
        if not isinstance(value, dict) or set(value) != set(template):
            got = sorted(map(str, value)) if isinstance(value, dict) else type(value).__name__
            raise ValueError(f"{where} should hold {sorted(map(str, template))}, not {str(got)[:200]}.")
        for key in template:
            check_like(value[key], template[key], f"{where}.{key}", variable)
        return
    if isinstance(template, list | tuple):
        if not isinstance(value, list | tuple) or len(value) != len(template):
            raise ValueError(f"{where} should be a list of {len(template)}.")
        for index, (item, expected) in enumerate(zip(value, template, strict=True)):
            check_like(item, expected, f"{where}[{index}]", variable)
        return
    if template is None or isinstance(template, str):
        if not (value is None or isinstance(value, str)) or (isinstance(value, str) and len(value) > 2000):
            raise ValueError(f"{where} should be a short text or nothing.")
        return
    if type(value) is not type(template):
        raise ValueError(f"{where} should be a {type(template).__name__}, not {type(value).__name__}.")
    if isinstance(value, float) and not np.isfinite(value) and np.isfinite(template):
        raise ValueError(f"{where} is not finite.")


def optimizer_checker(fresh: torch.optim.Optimizer, parameters: list[Tensor]) -> Callable[[Any, str], None]:
    """A `check_like` rule for an optimiser's state dict: its settings must equal those the config gives (a file
    cannot smuggle in another learning rate), and each parameter's state must be empty or have exactly the
    entries and shapes one real step of this optimiser makes."""
    reference = fresh.state_dict()
    example = _state_after_one_step(fresh, parameters)

    def check(value: Any, where: str) -> None:
        if not isinstance(value, dict) or set(value) != {"state", "param_groups"}:
            raise ValueError(f"{where} is not an optimiser state.")
        groups = value["param_groups"]
        if not isinstance(groups, list) or len(groups) != len(reference["param_groups"]):
            raise ValueError(f"{where} has {len(groups) if isinstance(groups, list) else '?'} parameter groups.")
        for group, expected in zip(groups, reference["param_groups"], strict=True):
            if not isinstance(group, dict) or set(group) != set(expected) or any(
                    _differs(group[key], expected[key]) for key in expected):
                raise ValueError(f"{where}'s settings (learning rate, betas, …) do not match the file's config.")
        state = value["state"]
        if not isinstance(state, dict) or not set(state) <= set(example):
            raise ValueError(f"{where} has state for parameters this run does not have.")
        for index, entry in state.items():
            check_like(entry, {key: example[index][key] for key in example[index]}, f"{where}.state[{index}]")
    return check


def earlier_optimizer_checker(build: Callable[[str, float, float, float], torch.optim.Optimizer],
                              parameters: list[Tensor]) -> Callable[[Any, str], None]:
    """`optimizer_checker` for an optimiser state kept from earlier in the run (a restore point), whose kind and
    settings may predate a live change: the kind is read from its settings (Adam has betas, RMSprop alpha, SGD
    neither), and it must then be exactly what `build(kind, lr, beta1, beta2)` makes."""
    def check(value: Any, where: str) -> None:
        groups = value.get("param_groups") if isinstance(value, dict) else None
        if not isinstance(groups, list) or len(groups) != 1 or not isinstance(groups[0], dict):
            raise ValueError(f"{where} is not an optimiser state.")
        group = groups[0]
        kind = "adam" if "betas" in group else "rmsprop" if "alpha" in group else "sgd"
        lr, betas = group.get("lr"), group.get("betas", (group.get("momentum", 0.0), 0.999))
        numbers = [lr, *betas] if isinstance(betas, tuple) and len(betas) == 2 else None
        usable = numbers is not None and all(type(n) in (int, float) and np.isfinite(n) for n in numbers)
        if not usable or lr <= 0 or not all(0 <= beta < 1 for beta in betas):
            raise ValueError(f"{where}'s learning rate or betas are not usable numbers.")
        optimizer_checker(build(kind, float(lr), float(betas[0]), float(betas[1])), parameters)(value, where)
    return check


def _differs(value: Any, expected: Any) -> bool:
    if isinstance(expected, Tensor) or isinstance(value, Tensor):
        return not (isinstance(value, Tensor) and isinstance(expected, Tensor) and torch.equal(value, expected))
    return type(value) is not type(expected) or value != expected


def _state_after_one_step(optimizer: torch.optim.Optimizer, parameters: list[Tensor]) -> dict[int, dict[str, Any]]:
    """The per-parameter state one step of a copy of `optimizer` creates (the shape every saved state must have)."""
    copies = [parameter.detach().clone().requires_grad_(True) for parameter in parameters]
    twin = type(optimizer)(copies, **{key: value for key, value in optimizer.defaults.items()
                                      if key in optimizer.param_groups[0] and key != "params"})
    for copy in copies:
        copy.grad = torch.zeros_like(copy)
    twin.step()
    return twin.state_dict()["state"]


def bounded_rows(max_rows: int, columns: int, dtype: torch.dtype = torch.float64) -> Callable[[Any, str], None]:
    """A `check_like` rule for a table that grows with training: a tensor [n, columns] with n ≤ max_rows."""
    def check(value: Any, where: str) -> None:
        if not isinstance(value, Tensor) or value.dtype != dtype or value.dim() != 2 or value.shape[1] != columns:
            raise ValueError(f"{where} should be a [n, {columns}] {dtype} table.")
        if value.shape[0] > max_rows:
            raise ValueError(f"{where} claims {value.shape[0]:,} rows; a run keeps at most {max_rows:,}.")
    return check


def bounded_list(max_items: int, item: Callable[[Any, str], None]) -> Callable[[Any, str], None]:
    """A `check_like` rule for a list that grows with training: at most max_items, each passing `item`."""
    def check(value: Any, where: str) -> None:
        if not isinstance(value, list):
            raise ValueError(f"{where} should be a list.")
        if len(value) > max_items:
            raise ValueError(f"{where} claims {len(value):,} entries; a run keeps at most {max_items:,}.")
        for index, entry in enumerate(value):
            item(entry, f"{where}[{index}]")
    return check


def tensors_to_numpy(value: Any) -> Any:
    """Tensors inside plain containers → numpy arrays (frames are numpy in memory, tensors in the file)."""
    if isinstance(value, Tensor):
        return value.numpy()
    if isinstance(value, dict):
        return {key: tensors_to_numpy(item) for key, item in value.items()}
    return value


def numpy_to_tensors(value: Any) -> Any:
    """numpy arrays inside plain containers → tensors (the weights-only loader reads no numpy arrays)."""
    if isinstance(value, np.ndarray):
        return torch.from_numpy(np.ascontiguousarray(value))
    if isinstance(value, dict):
        return {key: numpy_to_tensors(item) for key, item in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    return value
