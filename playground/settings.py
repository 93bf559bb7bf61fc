"""One settings layer for every page, without streamlit: a page's settings are a frozen dataclass of `knob`
fields, each carrying its widget (label, range or choices, help), whether it is *live* (changes a running run in
place) or *restart* (needs a new run), and its URL id. `playground.ui.controls` turns the fields into widgets;
this module turns URL text into values and back, tolerantly, and tells live changes from restarts.

    @dataclass(frozen=True)
    class ThetaSettings:
        theta: float = knob(0.7, "θ", live=True, min=-2.0, max=2.0, step=0.05, url="div_theta")
        method: str = knob("gradient_penalty", "Lipschitz constraint", choices=METHODS, widget="radio")

Widget keys a knob may carry (all optional): `choices` (id -> label, or id -> object with `.label`; a list of
ids), `min`/`max` (numbers; a float's "number" box may leave them open), `step`, `log` (a 1-2-5 select slider),
`options` (the only values a number may take: a select slider), `format` (a `str.format` pattern for the options,
e.g. "{:g}"), `aliases` (old id -> choice id: ids a link may still hold after a rename), `widget` ("number",
"powers_of_two", "radio", "slider", "tabs": a choice as the page's tabs), `horizontal` (a radio's options in a
row), `check` (a text field's validator: text -> problem or None) and `url_max` (the longest text a link carries
for the field). A settings class may define `unused_note(self, name) -> str | None`
(grey a control out, saying why) and `shows(self, name) -> bool` (leave a control out while it does not apply).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import MISSING, asdict, dataclass, field, fields, is_dataclass, replace
from typing import Any

TRUE_TEXT = frozenset({"1", "true", "yes", "on"})
FALSE_TEXT = frozenset({"0", "false", "no", "off"})
NOTICE_QUOTE = 40  # characters of a link's value quoted in a notice: a hostile value cannot flood the page


def knob(default: Any, label: str, *, live: bool = False, help: str = "", url: str | None = None, **widget: Any):
    """A settings field that doubles as a widget spec. `live` fields change a running run in place (the others
    start a new run); `url` is the field's key in a link (default: the field's name), fixed once links exist."""
    return field(default=default, metadata={"label": label, "live": live, "help": help, "url": url, **widget})


@dataclass(frozen=True)
class Preset:
    """A starting point for a page: a display label, a one-line teaching note and the fields it changes."""

    label: str
    note: str
    overrides: dict[str, Any] = field(default_factory=dict)  # settings field -> value

    def settings(self, cls: type, **changes: Any) -> Any:
        """`cls`'s defaults with this preset's overrides, then `changes`, applied."""
        return cls(**{**self.overrides, **changes})


def matching_preset(settings: Any, presets: Mapping[str, Any]) -> str | None:
    """The first preset whose overrides `settings` hold (floats to rounding), or None: what a preset box that
    reads the settings names."""
    def same(a: Any, b: Any) -> bool:
        if isinstance(a, float) or isinstance(b, float):
            return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
        return a == b

    return next((preset_id for preset_id, preset in presets.items()
                 if all(same(getattr(settings, name), value) for name, value in preset.overrides.items())), None)


def field_specs(cls: type) -> dict[str, dict[str, Any]]:
    """name -> the knob's spec (label, live, help, url, widget keys) plus the field's `type` and `default`.
    `url` is resolved: the field's own name unless the knob names another key."""
    specs = {}
    for settings_field in fields(cls):
        spec = dict(settings_field.metadata)
        spec.setdefault("label", settings_field.name)
        spec.setdefault("live", False)
        spec.setdefault("help", "")
        default = settings_field.default if settings_field.default is not MISSING else None
        spec["type"] = type(default)
        spec["default"] = default
        spec["url"] = spec.get("url") or settings_field.name
        specs[settings_field.name] = spec
    return specs


def choice_label(choices: Mapping[str, Any] | list[str], key: str) -> str:
    """The text a control shows for the option `key`: a label string, an object's `.label`, or the id itself."""
    if not isinstance(choices, Mapping):
        return str(key)
    value = choices[key]
    return getattr(value, "label", value if isinstance(value, str) else key)


def parse_settings(cls: type, params: Mapping[str, Any], base: Any = None) -> tuple[Any, list[str]]:
    """Settings from untrusted values (a link's text, a JSON file), keyed by URL id or field name.

    Tolerant, never raises: `?h=1` is 1.0 for a float field; a choice is taken by its id, its label or an old id
    the knob lists in `aliases`; a value a
    control cannot take (unknown option, out of range, NaN, not a number, not a whole number) is named in a
    notice and the field keeps `base`'s value; an unknown key is named in a notice too."""
    base = base if base is not None else cls()
    specs = field_specs(cls)
    by_key = {spec["url"]: name for name, spec in specs.items()} | {name: name for name in specs}
    changes: dict[str, Any] = {}
    notices: list[str] = []
    for key, raw in params.items():
        name = by_key.get(str(key))
        if name is None:
            notices.append(f"Ignored unknown setting “{shorten(key)}”.")
            continue
        value, problem = coerce(raw, specs[name])
        if problem:
            kept = url_text(getattr(base, name)) or "the default"
            notices.append(f"Ignored {key}={shorten(raw)}: {problem}; kept {kept}.")
        else:
            changes[name] = value
    try:
        return replace(base, **changes), notices
    except (TypeError, ValueError) as error:  # the class's own checks refused the combination
        return base, [*notices, f"Ignored the link's settings: {shorten(error, 200)}."]


def coerce(raw: Any, spec: Mapping[str, Any]) -> tuple[Any, str | None]:
    """(value, None) when a control described by `spec` can take `raw`, else (None, why not)."""
    if isinstance(raw, list | tuple):
        raw = raw[-1] if raw else ""
    if "choices" in spec:
        choices = spec["choices"]
        text = str(raw)
        by_text = ({old: new for old, new in spec.get("aliases", {}).items() if new in choices}
                   | {choice_label(choices, key): key for key in choices} | {url_text(key): key for key in choices})
        if text in by_text:  # the id (as a link writes it) wins over a label that happens to read the same
            return by_text[text], None
        return None, f"not one of {', '.join(url_text(key) for key in choices)}"
    kind = spec["type"]
    if kind is bool:
        text = str(raw).strip().lower()
        if text in TRUE_TEXT or text in FALSE_TEXT:
            return text in TRUE_TEXT, None
        return None, "not 1 or 0"
    if kind is str:  # a text knob may carry `check(text) -> problem or None` (e.g. a drawing's link text)
        problem = spec["check"](str(raw)) if "check" in spec else None
        return (None, problem) if problem else (str(raw), None)
    try:
        number = float(raw)
    except (TypeError, ValueError, OverflowError):
        return None, "not a number"
    if not math.isfinite(number):
        return None, "not a finite number"
    if kind is int:
        if not number.is_integer():
            return None, "not a whole number"
        value: Any = int(number)
    else:
        value = number
    if "options" in spec:
        match = [option for option in spec["options"] if option == value]
        if not match:
            return None, f"not one of {', '.join(url_text(option) for option in spec['options'])}"
        return match[0], None
    low, high = spec.get("min", -math.inf), spec.get("max", math.inf)
    if not low <= value <= high:
        return None, f"outside [{url_text(low)}, {url_text(high)}]"
    return value, None


def url_text(value: Any) -> str:
    """A value as a link writes it: floats in their shortest round-tripping form without a trailing .0 (0.1,
    1e-05, 2), booleans as 1/0, everything else as str()."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return f"{value:.12g}"
    return str(value)


def url_params(settings: Any, preset_settings: Any) -> dict[str, str]:
    """URL id -> text for the fields of `settings` that differ from `preset_settings`, in field order; a knob with
    `url_max` (characters) is left out while its text is longer (the page offers it another way)."""
    specs = field_specs(type(settings))
    texts = {name: url_text(value) for name, value in asdict(settings).items()
             if value != getattr(preset_settings, name)}
    return {specs[name]["url"]: text for name, text in texts.items()
            if len(text) <= specs[name].get("url_max", math.inf)}


def restart_changes(old: Any, new: Any) -> list[str]:
    """Names of the fields that differ between `old` and `new` and cannot change a running run (not `live`). A
    field holding a settings object of its own (a page of several sections, e.g. Compare's run A) is compared
    field by field, and its fields are named "section.field"."""
    return _changes(old, new, live=False)


def live_changes(old: Any, new: Any) -> list[str]:
    """Names of the `live` fields that differ between `old` and `new` (sections' fields as "section.field")."""
    return _changes(old, new, live=True)


def _changes(old: Any, new: Any, live: bool) -> list[str]:
    names = []
    for name, spec in field_specs(type(new)).items():
        before, after = getattr(old, name), getattr(new, name)
        if is_dataclass(after) and not isinstance(after, type) and type(before) is type(after):
            names += [f"{name}.{inner}" for inner in _changes(before, after, live)]
        elif spec["live"] == live and before != after:
            names.append(name)
    return names


def field_label(cls: type, name: str) -> str:
    """The label of the field `name` of `cls`; a section's field ("a.objective") as "Loss (run A)"."""
    section, _, inner = name.partition(".")
    spec = field_specs(cls)[section]
    if not inner:
        return spec["label"]
    return f"{field_label(spec['type'], inner)} ({spec['label']})"


def unused_note(settings: Any, name: str) -> str | None:
    """Why `settings`' current choices ignore the field `name` (its control is greyed out with this as the
    reason), from the class's optional `unused_note(self, name)` hook; None when the field is in use."""
    hook = getattr(settings, "unused_note", None)
    return hook(name) if callable(hook) else None


def shows(settings: Any, name: str) -> bool:
    """Whether the field `name` has a control under `settings`' current choices, from the class's optional
    `shows(self, name)` hook (e.g. pile 7 when there are 4 piles: no); True without the hook."""
    hook = getattr(settings, "shows", None)
    return bool(hook(name)) if callable(hook) else True


def shorten(raw: Any, limit: int = NOTICE_QUOTE) -> str:
    text = str(raw)
    return text if len(text) <= limit else text[:limit] + "…"
