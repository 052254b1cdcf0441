"""Temperature fitting: an over-confident model gets a temperature above 1 and a lower NLL."""

from __future__ import annotations

import torch

from tools.training.finalize import fit_temperature, nll


def test_overconfident_logits_are_cooled():
    torch.manual_seed(0)
    y = torch.randint(0, 7, (300,))
    logits = torch.randn(300, 2, 7) * 3  # 2 TTA views, large random logits: over-confident
    logits[torch.arange(300), :, y] += 2
    t = fit_temperature(logits, y)
    assert t > 1.5
    assert nll(logits, y, t) < nll(logits, y, 1.0)
    assert nll(logits, y, t) <= min(nll(logits, y, t * 0.9), nll(logits, y, t * 1.1))
