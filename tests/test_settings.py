"""The settings layer (`playground.settings`): knob specs, tolerant link parsing, link writing, live vs restart."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest

from playground import presets, settings
from playground.settings import Preset, field_specs, knob, parse_settings, restart_changes, url_params
from playground.training import TrainingConfig, parse_config

METHODS = {"gradient_penalty": "Gradient penalty (WGAN-GP)", "weight_clipping": "Weight clipping (WGAN)"}


@dataclass(frozen=True)
class Example:
    theta: float = knob(0.7, "θ", live=True, min=-2.0, max=2.0, step=0.05, url="div_theta")
    noise: float = knob(0.0, "σ", live=True, options=(0.0, 0.05, 0.1, 1.0), url="div_noise")
    method: str = knob("gradient_penalty", "Method", choices=METHODS, widget="radio")
    clip: float = knob(0.01, "c", live=True, min=0.001, max=1.0, log=True)
    seed: int = knob(0, "Seed", min=0, max=100)
    show: bool = knob(True, "Show")

    def unused_note(self, name: str) -> str | None:
        if name == "clip" and self.method != "weight_clipping":
            return "Only weight clipping uses it."
        return None


def test_field_specs_resolve_url_ids_types_and_defaults():
    specs = field_specs(Example)
    assert specs["theta"]["url"] == "div_theta" and specs["method"]["url"] == "method"
    assert specs["seed"]["type"] is int and specs["theta"]["type"] is float and specs["show"]["type"] is bool
    assert specs["theta"]["default"] == 0.7 and specs["theta"]["live"] and not specs["seed"]["live"]
    assert specs["method"]["widget"] == "radio" and specs["method"]["choices"] is METHODS


def test_training_knob_is_the_settings_knob_and_training_specs_carry_url_ids():
    from playground import training

    assert training.knob is settings.knob
    specs = TrainingConfig.field_specs()
    assert all(spec["url"] == name for name, spec in specs.items())  # Mode collapse's links use bare field names


def test_old_link_forms_open_the_same_values():
    """Page-prefixed keys, integer text for a float, a choice's label or its id, an option by its number."""
    parsed, notices = parse_settings(Example, {"div_theta": "1", "div_noise": "0.1", "method": "Weight clipping (WGAN)",
                                               "seed": "7.0", "show": "0"})
    assert notices == []
    assert parsed == Example(theta=1.0, noise=0.1, method="weight_clipping", seed=7, show=False)
    assert isinstance(parsed.theta, float) and isinstance(parsed.seed, int)
    assert parse_settings(Example, {"method": "weight_clipping"})[0].method == "weight_clipping"
    assert parse_settings(Example, {"theta": "-0.5"})[0].theta == -0.5  # the field's own name is read too


@dataclass(frozen=True)
class Renamed:
    method: str = knob("gradient_penalty", "Method", choices={"gradient_penalty": "GP", "clip": "Clipping"},
                       aliases={"weight_clipping": "clip", "spectral": "gone"})


def test_a_renamed_choice_id_in_an_old_link_opens_the_new_id():
    """A knob's `aliases` map ids a link held before a rename to today's ids; the id and the label still win, an
    alias naming no current choice is no way in, and unknown text is named as before."""
    assert parse_settings(Renamed, {"method": "weight_clipping"}) == (Renamed(method="clip"), [])
    assert parse_settings(Renamed, {"method": "clip"}) == (Renamed(method="clip"), [])
    assert parse_settings(Renamed, {"method": "Clipping"}) == (Renamed(method="clip"), [])
    for stale in ("spectral", "gone"):
        parsed, notices = parse_settings(Renamed, {"method": stale})
        assert parsed == Renamed() and notices == [f"Ignored method={stale}: not one of gradient_penalty, clip; "
                                                   "kept gradient_penalty."]


@pytest.mark.parametrize("key, raw, reason", [
    ("div_theta", "3", "outside [-2, 2]"),
    ("div_theta", "nan", "not a finite number"),
    ("div_theta", "inf", "not a finite number"),
    ("div_theta", "abc", "not a number"),
    ("div_noise", "0.07", "not one of 0, 0.05, 0.1, 1"),
    ("method", "hinge", "not one of gradient_penalty, weight_clipping"),
    ("seed", "2.5", "not a whole number"),
    ("show", "maybe", "not 1 or 0"),
])
def test_a_value_no_control_can_take_is_named_and_the_base_value_kept(key, raw, reason):
    base = Example(theta=0.3, seed=4)
    parsed, notices = parse_settings(Example, {key: raw}, base)
    assert parsed == base
    assert len(notices) == 1 and f"{key}={raw}" in notices[0] and reason in notices[0]


def test_unknown_keys_and_hostile_values_are_named_briefly():
    parsed, notices = parse_settings(Example, {"bogus" * 30: "1", "method": "<script>" * 50})
    assert parsed == Example() and len(notices) == 2
    assert all(len(notice) < 300 for notice in notices)


def test_a_combination_the_class_refuses_keeps_the_base():
    """TrainingConfig checks its fields in __post_init__; parse_settings never lets that raise."""
    @dataclass(frozen=True)
    class Ordered:
        low: float = knob(0.0, "low", min=0.0, max=1.0)
        high: float = knob(1.0, "high", min=0.0, max=1.0)

        def __post_init__(self):
            if self.low > self.high:
                raise ValueError("low must not exceed high")

    parsed, notices = parse_settings(Ordered, {"low": "0.9", "high": "0.1"})
    assert parsed == Ordered() and "low must not exceed high" in notices[-1]


def test_url_params_write_only_what_differs_from_the_preset_and_read_back_the_same():
    preset = Example(theta=0.3)
    current = Example(theta=1.0, noise=0.05, method="weight_clipping", clip=0.002, seed=3, show=False)
    params = url_params(current, preset)
    assert params == {"div_theta": "1", "div_noise": "0.05", "method": "weight_clipping", "clip": "0.002",
                      "seed": "3", "show": "0"}
    assert url_params(preset, preset) == {}
    assert parse_settings(Example, params, preset) == (current, [])


def test_url_text_round_trips_floats_exactly_enough():
    for value in (0.1, 1e-4, 2.0, 0.999, 1 / 3, 12345.678):
        assert float(settings.url_text(value)) == pytest.approx(value, rel=1e-11)
    assert settings.url_text(2.0) == "2" and settings.url_text(0.002) == "0.002"


def test_restart_and_live_changes_follow_the_live_metadata():
    old = Example()
    new = Example(theta=0.1, clip=0.1, seed=9, method="weight_clipping")
    assert restart_changes(old, new) == ["method", "seed"]
    assert settings.live_changes(old, new) == ["theta", "clip"]
    assert restart_changes(old, Example(theta=-1.0)) == []
    assert TrainingConfig(seed=1).restart_changes(TrainingConfig()) == ["seed"]


@dataclass(frozen=True)
class TwoSections:
    shared: Example = knob(Example(), "both")
    other: Example = knob(Example(seed=1), "run B")
    steps: int = knob(10, "Steps", min=1, max=100)


def test_a_section_field_is_compared_field_by_field_and_labelled_with_its_section():
    """A page of several sections (Compare's runs A and B) restarts on a section's restart field only."""
    old = TwoSections()
    new = TwoSections(other=Example(seed=2, theta=0.1), steps=11)
    assert restart_changes(old, new) == ["other.seed", "steps"]
    assert settings.live_changes(old, new) == ["other.theta"]
    assert restart_changes(old, TwoSections(shared=Example(clip=0.5))) == []
    assert settings.field_label(TwoSections, "other.seed") == "Seed (run B)"
    assert settings.field_label(TwoSections, "steps") == "Steps"


def test_unused_notes_come_from_the_class_hook():
    assert settings.unused_note(Example(), "clip") == "Only weight clipping uses it."
    assert settings.unused_note(Example(method="weight_clipping"), "clip") is None
    assert settings.unused_note(object(), "clip") is None  # a class without the hook greys nothing out
    config = TrainingConfig(objective="wgan_gp", generator_optimizer="rmsprop", critic_optimizer="rmsprop")
    assert "WGAN-GP" in config.unused_note("clip_value") and config.unused_note("gp_weight") is None
    assert "RMSprop" in config.unused_note("beta1")


def test_presets_are_override_dicts_applied_to_the_defaults():
    preset = Preset("Clipped", "A note.", {"method": "weight_clipping", "clip": 0.1})
    assert preset.settings(Example) == Example(method="weight_clipping", clip=0.1)
    assert preset.settings(Example, seed=5).seed == 5
    wgan_gp = presets.PRESETS["wgan_gp"]
    assert isinstance(wgan_gp, Preset) and wgan_gp.config() == wgan_gp.settings(TrainingConfig)


def test_parse_config_is_parse_settings_on_training_config():
    """?preset=wgan_gp&clip_value=0.05 and ?objective=WGAN-GP (a label) open the same values as before."""
    base = presets.PRESETS["wgan_gp"].config()
    config, notices = parse_config({"clip_value": "0.05"}, base)
    assert not notices and config.clip_value == 0.05 and config.objective == "wgan_gp"
    config, notices = parse_config({"objective": "WGAN-GP", "critic_steps": "5", "gp_weight": "1"})
    assert not notices and (config.objective, config.critic_steps, config.gp_weight) == ("wgan_gp", 5, 1.0)
    assert isinstance(config.gp_weight, float) and not math.isnan(config.gp_weight)
