"""Every URL parameter is validated: hostile or malformed values fall back to the preset, with a notice."""

from __future__ import annotations

from dataclasses import asdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from playground import settings as settings_layer
from playground.export import config_json, load_config_json
from playground.settings import choice_label
from playground.training import TrainingConfig, parse_config

SPECS = TrainingConfig.field_specs()
keys = st.one_of(st.sampled_from(sorted(SPECS)), st.text(max_size=30))
values = st.one_of(st.text(max_size=60), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
                   st.lists(st.text(max_size=10), max_size=3), st.none(), st.booleans())


@pytest.mark.slow
@settings(max_examples=400, deadline=None)
@given(st.dictionaries(keys, values, max_size=8))
def test_parse_config_never_raises_and_always_returns_a_valid_config(params):
    config, notices = parse_config(params)
    assert isinstance(config, TrainingConfig)
    for name, value in asdict(config).items():
        spec = SPECS[name]
        if "choices" in spec:
            assert value in spec["choices"]
        elif "check" in spec:  # a text field (the drawn points): only text its check accepts
            assert isinstance(value, str) and spec["check"](value) is None
        else:
            assert spec["min"] <= value <= spec["max"]
    unknown = [k for k in params if k not in SPECS]
    assert len(notices) >= len(unknown)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(SPECS)), st.text(max_size=40))
def test_a_value_is_either_accepted_exactly_or_rejected_with_a_notice(name, raw):
    base = TrainingConfig()
    config, notices = parse_config({name: raw}, base)
    if notices:
        assert getattr(config, name) == getattr(base, name)
    else:
        spec = SPECS[name]
        if "choices" in spec:  # an id, or the label a bound control wrote into older links
            expected = raw if raw in spec["choices"] else settings_layer.coerce(raw, spec)[0]
            assert choice_label(spec["choices"], expected) in {raw, expected}
        elif spec["type"] is str:  # a text field takes the text itself, once its check accepts it
            expected = raw
            assert spec["check"](raw) is None
        else:
            expected = spec["type"](float(raw))
        assert getattr(config, name) == expected


def test_hostile_strings_are_rejected_and_quoted_short():
    config, notices = parse_config({"objective": "<img src=x onerror=alert(1)>" * 20, "dataset": "../../etc/passwd"})
    assert config == TrainingConfig()
    assert len(notices) == 2 and all(len(n) < 300 for n in notices)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**31 - 1), st.sampled_from(["minimax", "wgan", "wgan_gp", "hinge"]),
       st.floats(0.001, 1.0), st.integers(1, 20))
def test_config_json_round_trips(seed, objective, clip_value, critic_steps):
    config = TrainingConfig(seed=seed, objective=objective, clip_value=clip_value, critic_steps=critic_steps)
    loaded, notices = load_config_json(config_json(config))
    assert loaded == config and not notices


def test_bad_json_uploads_fall_back_with_a_message():
    assert load_config_json("{not json")[1]
    assert load_config_json("[1, 2]")[1]
    config, notices = load_config_json('{"critic_steps": 500, "objective": "wgan"}')
    assert config.objective == "wgan" and config.critic_steps == TrainingConfig().critic_steps and notices
