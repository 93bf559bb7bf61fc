"""Train the presets that take long to show their point and write each as a run file under
playground/checkpoints/, for "Start trained". Deterministic on the CPU (one thread, the preset's seed): rerunning
it writes the same bytes.

    python tools/make_checkpoints.py                 # all of them
    python tools/make_checkpoints.py wgan_gp         # one
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from playground.presets import CHECKPOINT_DIR, PRESETS  # noqa: E402
from playground.training import Trainer  # noqa: E402


def make(preset_id: str) -> Trainer:
    """The preset trained on the CPU, one thread, for its checkpoint's steps."""
    torch.set_num_threads(1)
    preset = PRESETS[preset_id]
    trainer = Trainer(preset.config(device="cpu"))
    trainer.train(preset.checkpoint_steps)
    return trainer


def main(names: list[str]) -> None:
    for preset_id in names or [key for key, preset in PRESETS.items() if preset.checkpoint]:
        started = time.monotonic()
        trainer = make(preset_id)
        path = CHECKPOINT_DIR / PRESETS[preset_id].checkpoint
        trainer.save(path)
        print(f"{path.name}: {trainer.step:,} steps, {trainer.coverage().modes_captured} modes, "
              f"{path.stat().st_size / 1024:.0f} KiB, {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
