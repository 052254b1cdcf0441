"""The OOD gate's arithmetic on synthetic features (the shipped gate is tested in test_default_weights)."""

from __future__ import annotations

import torch

from tools.ood import OODGate, channel_stats


def test_gate_accepts_its_own_distribution_and_rejects_a_shifted_one(tmp_path):
    torch.manual_seed(0)
    dims = [6, 10]
    train = torch.randn(2000, 16)
    calibration = torch.randn(500, 16)
    gate = OODGate.fit(train, calibration, dims, quantile=0.99)
    fresh = torch.randn(2000, 16)
    assert (gate.scores(fresh) > gate.threshold).float().mean() < 0.03
    shifted = torch.randn(200, 16)
    shifted[:, 8] += 6  # far off in one part only: the max over parts must catch it
    assert (gate.scores(shifted) > gate.threshold).float().mean() > 0.95

    gate.save(tmp_path / "gate.safetensors")
    again = OODGate.load(tmp_path / "gate.safetensors", gate.threshold)
    assert torch.allclose(again.scores(shifted), gate.scores(shifted), atol=1e-4)
    verdict = again.verdict(shifted[0])
    assert not verdict.is_lesion and "does not look like" in verdict.reason
    assert verdict.refusal is not None and verdict.refusal.id == "ood.not_a_lesion"
    assert "refusal" not in verdict.model_dump(mode="json")
    accepted = again.verdict(torch.zeros(16))
    assert accepted.is_lesion and accepted.reason == "" and accepted.refusal is None


def test_channel_stats_shape_and_values():
    maps = [torch.ones(2, 3, 4, 4), torch.arange(2 * 5 * 2 * 2, dtype=torch.float).view(2, 5, 2, 2)]
    stats = channel_stats(maps)
    assert stats.shape == (2, 2 * 3 + 2 * 5)
    assert torch.equal(stats[:, :3], torch.ones(2, 3)) and torch.equal(stats[:, 3:6], torch.zeros(2, 3))
    assert stats[0, 6] == 1.5  # mean of 0..3
