"""Temperature fitting: an over-confident model gets a temperature above 1 and a lower NLL."""

from __future__ import annotations

import torch

from tools.training.choose import fit_temperature, member_nll as nll


def test_overconfident_logits_are_cooled():
    torch.manual_seed(0)
    y = torch.randint(0, 7, (300,))
    logits = torch.randn(300, 2, 7) * 3  # 2 TTA views, large random logits: over-confident
    logits[torch.arange(300), :, y] += 2
    t = fit_temperature(logits, y)
    assert t > 1.5
    assert nll(logits, y, t) < nll(logits, y, 1.0)
    assert nll(logits, y, t) <= min(nll(logits, y, t * 0.9), nll(logits, y, t * 1.1))


def test_a_reused_member_is_the_shipped_file_read_as_the_app_reads_it():
    from assistant.core.settings import PROJECT_ROOT
    from tools.classifier import Member
    from tools.manifest import resolve_profile
    from tools.training.finalize import reuse_member
    from tools.training.profiles import PROFILES

    weights = PROJECT_ROOT / "weights"
    (name, source), = PROFILES["ham10k-lite-v2-cycle2"].reused.items()
    spec, member = reuse_member(weights, source, name)
    shipped = next(m for m in resolve_profile(weights, source).members if m.name == name)
    assert (spec.file, spec.sha256, spec.architecture, spec.input_size) == (shipped.file, shipped.sha256,
                                                                           shipped.architecture, shipped.input_size)
    assert spec.temperature == 1.0  # refitted by finalize with the new profile's view set
    app = Member.load(shipped, resolve_profile(weights, source), torch.device("cpu"), backend="torch")
    x = torch.rand(1, 2, 3, spec.input_size, spec.input_size)
    assert torch.allclose(member.logits(x)[0], app.logits(x)[0], atol=1e-5)


def test_training_a_member_another_profile_ships_unchanged_is_one_clear_error(capsys):
    from assistant.edges.cli import main

    assert main(["train", "--profile", "ham10k-lite-v2-cycle2", "--member", "A"]) == 2
    assert "shipped unchanged" in capsys.readouterr().err
