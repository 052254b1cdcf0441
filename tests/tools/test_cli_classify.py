"""`ham10k classify` as a user runs it: readable table, --json, bad files, missing weights."""

from __future__ import annotations

import json

import pytest
import timm
import torch

from tests.tools.conftest import run_cli


@pytest.fixture(scope="module")
def small_seed_env(tmp_path_factory):
    """Seed-profile checkpoints of a small architecture, selected through the seed's variables."""
    folder = tmp_path_factory.mktemp("weights")
    env = {"MODEL_NAME": "resnet18", "DEVICE": "cpu"}
    for name in "AB":
        path = folder / f"{name}.pth"
        torch.save(timm.create_model("resnet18", num_classes=7).state_dict(), path)
        env[f"MODEL_{name}_PATH"] = str(path)
    return env


def test_table_output(small_seed_env, lesion_path, tmp_path):
    proc = run_cli("classify", str(lesion_path), env=small_seed_env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "confidence" in proc.stdout and "Urgency:" in proc.stdout and "melanoma" in proc.stdout


def test_bad_file_is_reported_and_the_others_still_classified(small_seed_env, lesion_path, tmp_path):
    bad = tmp_path / "scan.jpg"
    bad.write_bytes(b"%PDF-1.4\n1 0 obj << >> endobj\n")
    proc = run_cli("classify", "--json", str(bad), str(lesion_path), str(lesion_path), env=small_seed_env, cwd=tmp_path)
    assert proc.returncode != 0
    assert "PDF" in proc.stderr and "JPEG" in proc.stderr and str(bad) in proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(lines) == 2 and all(line["file"] == str(lesion_path) for line in lines)
    assert set(lines[0]["probabilities"]) >= {"melanoma", "melanocytic_nevi"}


def test_missing_file_is_reported(small_seed_env, tmp_path):
    proc = run_cli("classify", str(tmp_path / "nope.jpg"), env=small_seed_env, cwd=tmp_path)
    assert proc.returncode != 0 and "nope.jpg" in proc.stderr


def test_missing_seed_weights_say_where_and_how(lesion_path, tmp_path):
    proc = run_cli("classify", str(lesion_path), env={"PROFILE": "seed-seresnext101"}, cwd=tmp_path)
    assert proc.returncode != 0
    assert "best_model_A_tuned.pth" in proc.stderr and str(tmp_path) in proc.stderr
    assert "ham10k weights download" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_evaluate_writes_the_documented_keys(small_seed_env, tmp_path):
    from tests.tools.conftest import ASSETS

    out = tmp_path / "report.json"
    proc = run_cli("evaluate", str(ASSETS / "labels.csv"), "--json", str(out), env=small_seed_env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(out.read_text())
    for key in ("accuracy", "balanced_accuracy", "macro_f1", "ece", "per_class", "confusion_matrix",
                "auroc_melanoma_vs_rest", "auroc_malignant_vs_benign"):
        assert key in report
    assert report["n"] == 7
    assert set(report["per_class"]) == {"akiec", "bcc", "bkl", "df", "mel", "nv", "vasc"}
    assert set(report["variants"]) == {"ensemble_no_tta", "member_A_tta", "member_B_tta", "member_A_no_tta", "member_B_no_tta"}
    assert sum(map(sum, report["confusion_matrix"]["rows_true_cols_predicted"])) == 7
    assert "balanced_accuracy" in proc.stdout
    assert [t["target"] for t in report["targets"]][0] == "balanced accuracy" and "screening target" in proc.stdout
