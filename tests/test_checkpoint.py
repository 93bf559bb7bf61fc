"""Runs you can keep: save → load → train equals training without stopping, bit for bit on the CPU; a hostile
or wrong file is refused with a message naming what is wrong, and runs nothing; replay resumes from a frame."""

from __future__ import annotations

import io
import pickle
import zipfile
from dataclasses import replace

import numpy as np
import pytest
import torch

from playground import checkpoint
from playground.avb import AvbComparison, AvbConfig
from playground.compare import Lockstep
from playground.density_ratio import DensityRatioConfig, DensityRatioRun
from playground.divergences import ParallelLinesEstimators
from playground.ensemble import Ensemble
from playground.optimal_discriminator import LiveDiscriminator, preset_pair
from playground.training import MAX_REPLAY_STATES, Trainer, TrainingConfig
from playground.transport import CriticConfig, KantorovichCritic

SMALL = {"batch_size": 32, "generator_hidden_units": 24, "critic_hidden_units": 24, "coverage_every": 40}
CONFIGS = {
    "non_saturating": TrainingConfig(seed=1, **SMALL),
    "wgan_gp_rmsprop_noise": TrainingConfig(seed=2, objective="wgan_gp", critic_steps=2, critic_optimizer="rmsprop",
                                            instance_noise=0.2, noise_anneal_steps=200, **SMALL),
    "minimax_unrolled_sgd_r1_g2": TrainingConfig(seed=3, objective="minimax", unrolled_steps=2,
                                                 generator_optimizer="sgd", r1_weight=1.0, generator_steps=2, **SMALL),
    "wgan_clip": TrainingConfig(seed=4, objective="wgan", generator_steps=0, **SMALL),
}


def same_trainer(a: Trainer, b: Trainer) -> None:
    """Every parameter, optimiser state, counter and the metric history, exactly."""
    assert a.config == b.config and a.step == b.step and a.diverged == b.diverged
    assert (a.critic_updates, a.generator_updates) == (b.critic_updates, b.generator_updates)
    for network in ("generator", "critic"):
        for x, y in zip(getattr(a, network).parameters(), getattr(b, network).parameters(), strict=True):
            assert torch.equal(x, y), network
        states = [getattr(run, f"{network}_optimizer").state_dict()["state"] for run in (a, b)]
        assert states[0].keys() == states[1].keys()
        for key in states[0]:
            for name, value in states[0][key].items():
                assert torch.equal(torch.as_tensor(value), torch.as_tensor(states[1][key][name])), (network, name)
    assert np.array_equal(a.history.rows, b.history.rows) and a.history.stride == b.history.stride
    assert [(s, c, q) for s, c, q, _ in a.coverage_history] == [(s, c, q) for s, c, q, _ in b.coverage_history]
    assert torch.equal(a.rng.get_state(), b.rng.get_state())
    assert len(a.frames) == len(b.frames)
    for x, y in zip(a.frames, b.frames, strict=True):
        assert x["step"] == y["step"] and np.array_equal(x["fake"], y["fake"])


# --- round trips ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [pytest.param(name, marks=pytest.mark.slow) if "unrolled" in name else name
                                  for name in CONFIGS])  # unrolling makes that one take > 5 s
def test_save_load_train_equals_training_without_stopping(name, tmp_path):
    config = CONFIGS[name]
    straight, stopped = Trainer(config), Trainer(config)
    straight.train(110)
    stopped.train(50)
    path = tmp_path / "run.pt"
    stopped.save(path)
    loaded = Trainer.load(path)
    loaded.train(60)
    same_trainer(straight, loaded)
    assert len(straight.history.rows) == 110


def test_bytes_round_trip_and_a_run_saved_twice_loads_the_same():
    trainer = Trainer(CONFIGS["non_saturating"])
    trainer.train(45)
    data = trainer.to_bytes()
    same_trainer(trainer, Trainer.from_bytes(data))
    same_trainer(Trainer.from_bytes(Trainer.from_bytes(data).to_bytes()), trainer)


def test_the_file_keeps_the_live_settings_the_run_has_now():
    trainer = Trainer(CONFIGS["non_saturating"])
    trainer.train(5)
    trainer.update_config(replace(trainer.config, objective="wgan_gp", critic_lr=3e-4, critic_optimizer="rmsprop"))
    trainer.train(5)
    loaded = Trainer.from_bytes(trainer.to_bytes())
    assert loaded.config == trainer.config
    trainer.train(20)
    loaded.train(20)
    same_trainer(trainer, loaded)


@pytest.mark.slow
def test_compare_round_trip():
    def pair():
        return Lockstep({"A": Trainer(CONFIGS["non_saturating"]), "B": Trainer(CONFIGS["wgan_gp_rmsprop_noise"])},
                        evaluate_every=20)
    straight, stopped = pair(), pair()
    straight.train(70)
    stopped.train(30)
    loaded = Lockstep.from_bytes(stopped.to_bytes())
    loaded.train(40)
    assert loaded.step == straight.step == 70 and loaded.exact_w1 == straight.exact_w1
    for side in ("A", "B"):
        same_trainer(straight.trainers[side], loaded.trainers[side])


def same_ensemble(a: Ensemble, b: Ensemble) -> None:
    assert a.config == b.config and a.seeds == b.seeds and a.step == b.step and a.diverged == b.diverged
    assert a.member_diverged == b.member_diverged and a.critic_updates == b.critic_updates
    for x, y in zip(a._weights(), b._weights(), strict=True):
        assert torch.equal(x, y)
    assert np.array_equal(a.history.rows, b.history.rows) and a.coverage_steps == b.coverage_steps
    assert np.array_equal(np.stack(a.coverage_captured), np.stack(b.coverage_captured))
    assert np.array_equal(a.latest_member_metrics, b.latest_member_metrics, equal_nan=True)


def test_ensemble_round_trip_with_a_frozen_member():
    """Save after member 2 has diverged and been frozen: the loaded ensemble keeps it frozen and goes on exactly."""
    config = TrainingConfig(batch_size=32, generator_hidden_units=16, critic_hidden_units=16, coverage_every=20)

    def blown_up() -> Ensemble:
        ensemble = Ensemble(config, seeds=(0, 1, 2))
        ensemble.train(5)
        with torch.no_grad():
            for weight in ensemble.critic_parameters.values():
                weight[2] *= 1e4
        ensemble.train(20)
        return ensemble
    straight, stopped = blown_up(), blown_up()
    assert straight.alive.tolist() == [True, True, False]
    straight.train(40)
    loaded = Ensemble.from_bytes(stopped.to_bytes())
    loaded.train(40)
    same_ensemble(straight, loaded)
    with pytest.raises(ValueError, match="This is a Many seeds run, not a Mode collapse run"):
        Trainer.from_bytes(stopped.to_bytes())
    with pytest.raises(ValueError, match="seeds should be 1 to 64"):
        Ensemble.from_bytes(edited(stopped.to_bytes(), lambda p: p["config"].update(seeds=list(range(10**3)))))


@pytest.mark.parametrize("config", [CriticConfig(batch_size=64, evaluation_size=256),
                                    CriticConfig(lipschitz="clip", batch_size=64, evaluation_size=256)])
def test_kantorovich_critic_round_trip(config):
    """The Earth mover's critic draws batches from a numpy Generator and the penalty's mixing from torch: both
    states travel."""
    straight, stopped = KantorovichCritic(config), KantorovichCritic(config)
    straight.train(55)
    stopped.train(25)
    loaded = KantorovichCritic.from_bytes(stopped.to_bytes())
    loaded.train(30)
    assert loaded.step == straight.step == 55
    for x, y in zip(straight.critic.parameters(), loaded.critic.parameters(), strict=True):
        assert torch.equal(x, y)
    assert (loaded._history_steps, loaded._history_estimates, loaded._history_lipschitz) == (
        straight._history_steps, straight._history_estimates, straight._history_lipschitz)
    with pytest.raises(ValueError, match="evaluation_size=100000, outside"):
        KantorovichCritic.from_bytes(edited(stopped.to_bytes(), lambda p: p["config"].update(evaluation_size=10**5)))
    with pytest.raises(ValueError, match="numpy_rng"):
        KantorovichCritic.from_bytes(edited(stopped.to_bytes(), lambda p: p["state"]["numpy_rng"].update(
            bit_generator="MT19937")))


def test_density_ratio_round_trip_keeps_the_live_learning_rate():
    config = DensityRatioConfig(batch_size=128, evaluation_size=1024)
    straight, stopped = DensityRatioRun(config), DensityRatioRun(config)
    for run in (straight, stopped):
        run.train(25)
        run.reconfigure(replace(run.config, learning_rate=1e-3))
    straight.train(35)
    loaded = DensityRatioRun.from_bytes(stopped.to_bytes())
    assert loaded.config.learning_rate == 1e-3
    loaded.train(35)
    for x, y in zip(straight.classifier.parameters(), loaded.classifier.parameters(), strict=True):
        assert torch.equal(x, y)
    assert np.array_equal(np.array(straight.history["loss"]), np.array(loaded.history["loss"]), equal_nan=True)
    assert straight.history["kl_estimate"] == loaded.history["kl_estimate"]
    with pytest.raises(ValueError, match="This is a Density ratio run, not a Mode collapse run"):
        Trainer.from_bytes(stopped.to_bytes())
    with pytest.raises(ValueError, match="pair cannot|unknown pair"):
        DensityRatioRun.from_bytes(edited(stopped.to_bytes(), lambda p: p["config"].update(pair="nonsense")))


@pytest.mark.parametrize("method", ["gradient_penalty", "weight_clipping"])
def test_parallel_lines_round_trip_with_live_settings(method):
    """θ and the learning rate moved live before saving: the file keeps them, and the run goes on exactly."""
    def run() -> ParallelLinesEstimators:
        estimators = ParallelLinesEstimators(lipschitz_method=method, batch_size=64)
        estimators.train(25)
        estimators.set_live(theta=0.5, learning_rate=5e-4)
        return estimators
    straight, stopped = run(), run()
    straight.train(30)
    loaded = ParallelLinesEstimators.from_bytes(stopped.to_bytes())
    assert (loaded.theta, loaded.learning_rate) == (0.5, 5e-4)
    loaded.train(30)
    for x, y in zip([*straight.critic.parameters(), *straight.discriminator.parameters()],
                    [*loaded.critic.parameters(), *loaded.discriminator.parameters()], strict=True):
        assert torch.equal(x, y)
    assert list(straight._history) == list(loaded._history) and straight._latest == loaded._latest
    with pytest.raises(ValueError, match="hidden_units=100000, not a whole number"):
        ParallelLinesEstimators.from_bytes(edited(stopped.to_bytes(), lambda p: p["config"].update(
            hidden_units=10**5)))


def test_optimal_discriminator_round_trip():
    straight, stopped = LiveDiscriminator(preset_pair("separated")), LiveDiscriminator(preset_pair("separated"))
    straight.train(30)
    stopped.train(10)
    loaded = LiveDiscriminator.from_bytes(stopped.to_bytes())
    loaded.train(20)
    assert loaded.pair == straight.pair and loaded.loss == straight.loss
    for x, y in zip(straight.critic.parameters(), loaded.critic.parameters(), strict=True):
        assert torch.equal(x, y)
    with pytest.raises(ValueError, match="family must be one of"):
        LiveDiscriminator.from_bytes(edited(stopped.to_bytes(), lambda p: p["config"]["pair"].update(family="x")))


@pytest.mark.slow
def test_avb_round_trip_keeps_the_live_rates_and_adversary_steps():
    config = AvbConfig(batch_size=64, evaluation_size=64, record_every=10)
    straight, stopped = AvbComparison(config), AvbComparison(config)
    for run in (straight, stopped):
        run.train(15)
        run.reconfigure(replace(run.config, learning_rate=1e-3, adversary_learning_rate=2e-3, adversary_steps=2))
    straight.train(25)
    loaded = AvbComparison.from_bytes(stopped.to_bytes())
    assert loaded.adversary_steps == 2 and loaded.config.learning_rate == 1e-3
    loaded.train(25)

    def parameters(run):
        return [*run.vae.model_parameters(), *run.avb.model_parameters(), *run.vae.adversary.parameters(),
                *run.avb.adversary.parameters()]
    for x, y in zip(parameters(straight), parameters(loaded), strict=True):
        assert torch.equal(x, y)
    assert straight.history == loaded.history
    with pytest.raises(ValueError, match="adversary_prior_term='yes', not a bool"):
        AvbComparison.from_bytes(edited(stopped.to_bytes(), lambda p: p["config"].update(adversary_prior_term="yes")))


# --- hostile and wrong files ---------------------------------------------------------------------------------


class Payload:
    """Unpickling calls open(marker, "w"): a file appears if the loader ran code."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")  # the stranger's pickle.dumps uses protocol 4
@pytest.mark.parametrize("writer", ["torch.save", "pickle.dumps"])
def test_a_pickle_payload_is_refused_and_runs_nothing(writer, tmp_path):
    marker = tmp_path / "ran"
    trainer = Trainer(CONFIGS["non_saturating"])
    if writer == "torch.save":
        buffer = io.BytesIO()
        torch.save({"format": checkpoint.FORMAT, "version": 1, "kind": "trainer", "config": {},
                    "state": Payload(marker)}, buffer)
        data = buffer.getvalue()
    else:
        data = pickle.dumps(Payload(marker))
    with pytest.raises(ValueError, match="not a saved run"):
        Trainer.from_bytes(data)
    assert not marker.exists()
    # The payload is live: an unsafe loader would have run it.
    if writer == "torch.save":
        torch.load(io.BytesIO(data), weights_only=False)
    else:
        pickle.loads(data)
    assert marker.exists()
    assert trainer.step == 0  # the run that was there is untouched


def test_truncated_random_and_empty_files_are_refused(tmp_path):
    trainer = Trainer(CONFIGS["non_saturating"])
    trainer.train(5)
    data = trainer.to_bytes()
    for bad in (data[: len(data) // 2], data[:100], np.random.default_rng(0).bytes(5000), b""):
        with pytest.raises(ValueError, match="not a saved run"):
            Trainer.from_bytes(bad)
    path = tmp_path / "cut.pt"
    path.write_bytes(data[:-10])
    with pytest.raises(ValueError, match="not a saved run"):
        Trainer.load(path)


def test_a_file_too_large_is_refused_before_it_is_read(tmp_path):
    with pytest.raises(ValueError, match="at most 64 MB"):
        Trainer.from_bytes(bytes(checkpoint.MAX_FILE_BYTES + 1))


def test_a_compressed_file_that_would_inflate_is_refused_before_unpacking():
    """torch.load itself would inflate a deflated entry: 4 MB of zeros pack into a few KB (a zip bomb's trick)."""
    plain = io.BytesIO()
    torch.save({"format": checkpoint.FORMAT, "version": 1, "kind": "trainer", "config": {},
                "state": {"x": torch.zeros(10**6)}}, plain)
    source, packed = zipfile.ZipFile(io.BytesIO(plain.getvalue())), io.BytesIO()
    with zipfile.ZipFile(packed, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for entry in source.infolist():
            archive.writestr(entry.filename, source.read(entry.filename))
    assert len(packed.getvalue()) < len(plain.getvalue()) / 100
    assert torch.load(io.BytesIO(packed.getvalue()), weights_only=True)["state"]["x"].numel() == 10**6
    with pytest.raises(ValueError, match="compressed parts"):
        Trainer.from_bytes(packed.getvalue())


def edited(data: bytes, edit) -> bytes:
    payload = torch.load(io.BytesIO(data), weights_only=True)
    edit(payload)
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def saved() -> bytes:
    trainer = Trainer(CONFIGS["non_saturating"])
    trainer.train(45)
    return trainer.to_bytes()


def test_a_run_of_another_kind_is_named(saved):
    pair = Lockstep({"A": Trainer(CONFIGS["non_saturating"])}, evaluate_every=20)
    with pytest.raises(ValueError, match="This is a Compare run, not a Mode collapse run"):
        Trainer.from_bytes(pair.to_bytes())
    with pytest.raises(ValueError, match="This is a Mode collapse run, not a Compare run"):
        Lockstep.from_bytes(saved)


def test_a_newer_format_and_a_foreign_file_are_named(saved):
    with pytest.raises(ValueError, match="newer version of the app .format 2."):
        Trainer.from_bytes(edited(saved, lambda p: p.update(version=2)))
    with pytest.raises(ValueError, match="not a saved run of the GAN Playground"):
        Trainer.from_bytes(edited(saved, lambda p: p.update(format="something else")))
    buffer = io.BytesIO()
    torch.save({"weights": torch.zeros(3)}, buffer)  # a safe torch file that is not a run
    with pytest.raises(ValueError, match="header"):
        Trainer.from_bytes(buffer.getvalue())


@pytest.mark.parametrize(("edit", "message"), [
    ({"objective": "bogus"}, "objective='bogus' is not one of"),
    ({"critic_steps": 0}, "critic_steps=0 must be at least 1"),
    ({"beta1": 1.5}, "beta1=1.5 must lie in"),
    ({"generator_lr": float("nan")}, "generator_lr=nan is not a finite number"),
    ({"critic_hidden_units": 10**6}, "critic_hidden_units=1000000, above this app's maximum"),
    ({"batch_size": 10**9}, "batch_size=1000000000, above"),
    ({"warp_drive": 1}, "does not know: warp_drive"),
    ({"seed": "zero"}, "seed='zero', not a int"),
])
def test_a_config_the_app_cannot_use_is_named(saved, edit, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(".", r"\.")):
        Trainer.from_bytes(edited(saved, lambda p: p["config"].update(edit)))


def test_weights_that_do_not_fit_the_config_are_named(saved):
    with pytest.raises(ValueError, match=r"state\.run\.critic\.net\.0\.weight has shape \(24, 2\).*\(16, 2\)"):
        Trainer.from_bytes(edited(saved, lambda p: p["config"].update(critic_hidden_units=16)))


def test_absurd_history_sizes_are_refused(saved):
    """A history claiming 10⁹ rows (a stride-0 view: tiny on disk) is refused by its shape before any use."""
    def huge_history(payload):
        payload["state"]["history"]["rows"] = torch.zeros(1, 10, dtype=torch.float64).expand(10**9, 10)
    with pytest.raises(ValueError, match="claims 1,000,000,000 rows; a run keeps at most 4,000"):
        Trainer.from_bytes(edited(saved, huge_history))

    def many_frames(payload):
        payload["state"]["frames"] = payload["state"]["frames"] * 100
    with pytest.raises(ValueError, match="frames claims 200 entries; a run keeps at most 160"):
        Trainer.from_bytes(edited(saved, many_frames))


def test_smuggled_optimiser_settings_and_bad_counters_are_refused(saved):
    def fast(payload):
        payload["state"]["run"]["critic_optimizer"]["param_groups"][0]["lr"] = 1e6
    with pytest.raises(ValueError, match="critic_optimizer's settings .* do not match"):
        Trainer.from_bytes(edited(saved, fast))

    def negative(payload):
        payload["state"]["run"]["step"] = -5
    with pytest.raises(ValueError, match="step counters are out of range"):
        Trainer.from_bytes(edited(saved, negative))

    def wrong_type(payload):
        payload["state"]["run"]["rng"] = [1, 2, 3]
    with pytest.raises(ValueError, match=r"state\.run\.rng should be a tensor"):
        Trainer.from_bytes(edited(saved, wrong_type))


# --- replay keeps model states -------------------------------------------------------------------------------


def test_resume_from_a_frame_equals_the_run_at_that_step():
    config = replace(CONFIGS["non_saturating"], coverage_every=25)
    run = Trainer(config)
    run.train(150)
    index = [frame["step"] for frame in run.frames].index(50)
    resumed = run.resume_from_frame(index)
    reference = Trainer(config)
    reference.train(50)
    saved_then = Trainer.from_bytes(reference.to_bytes())
    resumed.train(70)
    saved_then.train(70)
    same_trainer(saved_then, resumed)
    assert run.step == 150  # the run it came from goes on as it was


def test_resume_from_a_frame_with_another_loss_equals_switching_then():
    """The classic demo: scrub back to a frame, switch to WGAN-GP, continue."""
    config = replace(CONFIGS["non_saturating"], coverage_every=25)
    cure = replace(config, objective="wgan_gp", critic_steps=3, critic_lr=2e-4)
    run = Trainer(config)
    run.train(100)
    resumed = run.resume_from_frame(2, cure)  # step 50
    reference = Trainer(config)
    reference.train(50)
    reference.update_config(cure)
    resumed.train(40)
    reference.train(40)
    same_trainer(reference, resumed)
    with pytest.raises(ValueError, match="need a new run.*dataset"):
        run.resume_from_frame(2, replace(cure, dataset="swiss_roll"))
    with pytest.raises(ValueError, match="no replay frame 99"):
        run.resume_from_frame(99)


@pytest.mark.slow
def test_replay_keeps_a_bounded_spread_of_model_states():
    run = Trainer(replace(CONFIGS["non_saturating"], coverage_every=10))
    run.train(400)
    steps = [frame["step"] for frame in run.frames]
    assert len(steps) == 41 and len(run.replay_states) <= MAX_REPLAY_STATES
    assert set(run.replay_states) <= set(steps) and max(run.replay_states) == 400
    gaps = np.diff(sorted(run.replay_states))
    assert gaps.max() <= 2 * gaps.min()  # spread over the run, not only its end
    missing = next(index for index, step in enumerate(steps) if step not in run.replay_states)
    with pytest.raises(ValueError, match="keeps no model state; the nearest frames that do"):
        run.resume_from_frame(missing)
