"""The OpenVINO backend: when it is chosen, the same answers and heat-maps as PyTorch on the shipped
ensemble, the body's PyTorch weights released, the converted body cached on disk, and one model safe
to call from several threads."""

from __future__ import annotations

import io
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import openvino
import pytest
import timm
import torch

from assistant.core.settings import PROJECT_ROOT
from tests.tools.conftest import ASSETS
from tools import backends
from tools.backends import OpenVINOModel, default_cache_dir, pick_backend
from tools.catalogue import catalogue
from tools.classifier import Ensemble
from tools.intake import load_image, load_image_file
from tools.manifest import resolve_profile
from tools.preprocess import prepare
from tools.saliency import ensemble_cam
from tools.training.nonskin import generated

PHOTOS = sorted(ASSETS.glob("ISIC_*.jpg"))
CPU, CUDA = torch.device("cpu"), torch.device("cuda")


# --- the choice -------------------------------------------------------------------------------------

def test_openvino_is_installed_with_the_project() -> None:
    assert backends.openvino_available()


def test_auto_picks_openvino_for_fp32_on_a_cpu() -> None:
    assert pick_backend("auto", "fp32", CPU) == "openvino"


def test_auto_follows_a_profile_that_declares_torch() -> None:
    from tools.manifest import SEED_PROFILE, resolve_profile

    assert pick_backend("auto", "fp32", CPU, declared="torch") == "torch"
    assert pick_backend("openvino", "fp32", CPU, declared="torch") == "openvino"
    seed = resolve_profile(PROJECT_ROOT / "weights", SEED_PROFILE, Path("a.pth"), Path("b.pth"))
    assert seed.backend == "torch"  # measured ~1.1x for twice the memory: not worth it
    assert resolve_profile(PROJECT_ROOT / "weights").backend == "openvino"


@pytest.mark.parametrize("precision,device", [("bf16", CPU), ("fp32", CUDA), ("bf16", CUDA)])
def test_auto_picks_torch_for_bf16_or_a_gpu(precision, device) -> None:
    assert pick_backend("auto", precision, device) == "torch"


@pytest.mark.parametrize("precision,device", [("fp32", CPU), ("bf16", CPU), ("fp32", CUDA)])
def test_explicit_torch_is_obeyed(precision, device) -> None:
    assert pick_backend("torch", precision, device) == "torch"


def test_explicit_openvino_on_fp32_cpu_is_obeyed() -> None:
    assert pick_backend("openvino", "fp32", CPU) == "openvino"


@pytest.mark.parametrize("precision,device", [("bf16", CPU), ("fp32", CUDA)])
def test_explicit_openvino_refuses_bf16_and_gpus(precision, device) -> None:
    with pytest.raises(RuntimeError, match=r"fp32 on the CPU only") as info:
        pick_backend("openvino", precision, device)
    assert "DEVICE=cpu" in str(info.value) and "INFERENCE_PRECISION=fp32" in str(info.value)


def test_without_openvino_explicit_fails_and_auto_falls_back(monkeypatch) -> None:
    monkeypatch.setattr(backends, "openvino_available", lambda: False)
    with pytest.raises(RuntimeError, match=r"pip install openvino"):
        pick_backend("openvino", "fp32", CPU)
    assert pick_backend("auto", "fp32", CPU) == "torch"
    assert pick_backend("torch", "fp32", CPU) == "torch"


def test_default_cache_dir_follows_xdg(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / "ham10k-assistant" / "openvino"


# --- the shipped ensemble on both backends ----------------------------------------------------------

@pytest.fixture(scope="module")
def profile():
    return resolve_profile(PROJECT_ROOT / "weights")


@pytest.fixture(scope="module")
def torch_ensemble(profile) -> Ensemble:
    return Ensemble.load(profile, "cpu", "fp32", backend="torch")


@pytest.fixture(scope="module")
def ov_ensemble(profile) -> Ensemble:
    return Ensemble.load(profile, "cpu", "fp32", backend="openvino")  # the default cache: conversions reused


@pytest.fixture(scope="module")
def images():
    """The real lesion photos, then two pictures the OOD gate must refuse (so both decisions are compared)."""
    checked = [load_image_file(p) for p in PHOTOS]
    for name, image in generated():
        if name in ("flat(255, 255, 255)", "document"):
            buffer = io.BytesIO()
            image.save(buffer, format="PNG")
            checked.append(load_image(buffer.getvalue()))
    return checked


def assert_same_result(a, b, prob_tol: float = 1e-5, ood_tol: float = 1.5e-3) -> None:
    """Results carry probabilities rounded to 6 decimals and the OOD score to 3: one rounding step apart at
    most (the unrounded score is compared to 1e-4 below)."""
    assert a.label == b.label and a.status == b.status
    assert a.probabilities.keys() == b.probabilities.keys()
    for label, p in a.probabilities.items():
        assert abs(p - b.probabilities[label]) <= prob_tol, (label, p, b.probabilities[label])
    for ma, mb in zip(a.members, b.members, strict=True):
        assert ma.top_label == mb.top_label
        for label, p in ma.probabilities.items():
            assert abs(p - mb.probabilities[label]) <= prob_tol, (ma.name, label, p, mb.probabilities[label])
    assert a.ood.checked and b.ood.checked
    assert a.ood.is_lesion == b.ood.is_lesion
    assert abs(a.ood.score - b.ood.score) <= ood_tol, (a.ood.score, b.ood.score)


def test_each_ensemble_reports_the_backend_it_was_asked_for(torch_ensemble, ov_ensemble) -> None:
    assert torch_ensemble.backend == "torch" and ov_ensemble.backend == "openvino"
    assert all(isinstance(m.model, OpenVINOModel) for m in ov_ensemble.members)
    assert not any(isinstance(m.model, OpenVINOModel) for m in torch_ensemble.members)


@pytest.fixture(scope="module")
def items(images):
    """Every picture as one view (PyTorch is slow on these 2 cores), and two photos with all TTA views."""
    return [(c, False) for c in images] + [(images[0], True), (images[3], True)]


@pytest.fixture(scope="module")
def torch_results(torch_ensemble, items):
    outcomes = torch_ensemble.classify_batch(items)
    assert not any(isinstance(o, Exception) for o in outcomes), outcomes
    return outcomes


@pytest.fixture(scope="module")
def ov_results(ov_ensemble, items):
    return [ov_ensemble.classify(checked, tta) for checked, tta in items]  # one by one


def test_same_answers_as_pytorch(torch_results, ov_results) -> None:
    for reference, result in zip(torch_results, ov_results, strict=True):
        assert_same_result(result, reference)
    assert {r.status for r in ov_results} == {"ok", "not_a_lesion"}  # both OOD decisions were compared


def test_same_raw_logits_and_ood_scores_as_pytorch(torch_ensemble, ov_ensemble, images) -> None:
    """Unrounded: each member's logits, and the OOD gate's score and decision, on every picture."""
    outputs = {}
    for ensemble in (torch_ensemble, ov_ensemble):
        per_member = []
        for member in ensemble.members:
            batch = torch.stack([prepare(c.image, member.spec, tta=False) for c in images])
            per_member.append(member.logits(batch))
        outputs[ensemble.backend] = per_member
    for (ref_logits, ref_features), (logits, features) in zip(outputs["torch"], outputs["openvino"], strict=True):
        torch.testing.assert_close(logits, ref_logits, rtol=1e-4, atol=1e-4)
        torch.testing.assert_close(features, ref_features, rtol=1e-2, atol=1e-3)  # stds of a flat picture: loose
    k = ov_ensemble.ood_member_index
    reference = torch_ensemble.ood.scores(outputs["torch"][k][1])
    scores = ov_ensemble.ood.scores(outputs["openvino"][k][1])
    assert float((scores - reference).abs().max()) < 1e-4, (scores, reference)
    threshold = ov_ensemble.ood.threshold
    assert ((scores <= threshold) == (reference <= threshold)).all()
    assert (reference <= threshold).any() and (reference > threshold).any()


def test_a_batch_gives_the_one_by_one_answers(ov_ensemble, items, ov_results) -> None:
    """The compiled body takes any batch size: all pictures at once (TTA and not) as each alone."""
    batched = ov_ensemble.classify_batch(items)
    assert len(batched) == len(items)
    for outcome, single in zip(batched, ov_results):
        assert not isinstance(outcome, Exception), outcome
        assert_same_result(outcome, single)


def test_same_heat_map_as_pytorch(torch_ensemble, ov_ensemble, images, torch_results) -> None:
    labels = catalogue().labels
    for i in (0, 1):
        top = labels.index(torch_results[i].label)
        class_index = top if i == 0 else (top + 1) % len(labels)  # the top class, and another one
        reference = ensemble_cam(torch_ensemble, images[i].image, class_index, (96, 96))
        cam = ensemble_cam(ov_ensemble, images[i].image, class_index, (96, 96))
        assert cam.shape == reference.shape == (96, 96) and reference.max() > 0.99
        assert float(np.abs(cam - reference).max()) < 1e-3, (i, class_index)


def _numel(tensors) -> int:
    return sum(t.numel() for t in tensors if t.numel())


def test_the_body_weights_are_released(torch_ensemble, ov_ensemble) -> None:
    for ov_member, torch_member in zip(ov_ensemble.members, torch_ensemble.members, strict=True):
        head = ov_member.model.inner.get_classifier()
        head_numel = head.weight.numel() + head.bias.numel()
        assert head_numel == 1280 * 7 + 7  # the head's weights are intact
        assert _numel(ov_member.model.parameters()) == head_numel
        assert _numel(ov_member.model.buffers()) == 0  # batch-norm statistics of the body included
        assert _numel(torch_member.model.parameters()) > 100 * head_numel


def test_intermediate_layers_are_those_compiled(profile, torch_ensemble, ov_ensemble) -> None:
    ood_index = ov_ensemble.ood_member_index
    gated, other = ov_ensemble.members[ood_index], ov_ensemble.members[1 - ood_index]
    layers = profile.ood.layers
    x = torch.randn(2, 3, gated.spec.input_size, gated.spec.input_size)
    final, maps = gated.model.forward_intermediates(x, indices=layers, extra_blocks=True)
    ref_final, ref_maps = torch_ensemble.members[ood_index].model.forward_intermediates(
        x, indices=layers, extra_blocks=True)
    assert len(maps) == len(ref_maps) == len(layers)
    for got, want in zip([final, *maps], [ref_final, *ref_maps]):
        assert got.shape == want.shape
        torch.testing.assert_close(got, want.detach(), rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="compiled for intermediate layers"):
        gated.model.forward_intermediates(x, indices=layers[:2], extra_blocks=True)
    with pytest.raises(ValueError):
        gated.model.forward_intermediates(x)
    with pytest.raises(ValueError):
        other.model.forward_intermediates(torch.randn(1, 3, other.spec.input_size, other.spec.input_size),
                                          indices=[3])


# --- the converted-body cache and threads, on a tiny timm network -----------------------------------

ARCH, SIZE = "test_efficientnet", 64  # timm's test network: converts in a couple of seconds


@pytest.fixture(scope="module")
def tiny_weights():
    torch.manual_seed(0)
    model = timm.create_model(ARCH, num_classes=7).eval()
    return {k: v.clone() for k, v in model.state_dict().items()}


def tiny_model(weights) -> torch.nn.Module:
    """A fresh copy each time: OpenVINOModel empties the body of the model it is given."""
    model = timm.create_model(ARCH, num_classes=7)
    model.load_state_dict(weights)
    return model.eval()


@pytest.fixture(scope="module")
def inputs() -> torch.Tensor:
    return torch.randn(6, 3, SIZE, SIZE, generator=torch.Generator().manual_seed(1))


@pytest.fixture(scope="module")
def reference(tiny_weights, inputs) -> torch.Tensor:
    with torch.no_grad():
        return tiny_model(tiny_weights)(inputs)


@pytest.fixture
def count_conversions(monkeypatch):
    calls = []
    real = openvino.convert_model

    def spy(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(openvino, "convert_model", spy)
    return calls


@pytest.fixture(scope="module")
def built(tiny_weights, tmp_path_factory):
    """One conversion into a fresh cache under XDG_CACHE_HOME (cache_dir=None: the default location)."""
    xdg = tmp_path_factory.mktemp("xdg")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(xdg))
        model = OpenVINOModel(tiny_model(tiny_weights), SIZE, [], weights_id="w1")
    return model, xdg / "ham10k-assistant" / "openvino"


def _files(cache):
    return sorted(p.name for p in cache.iterdir())


def test_converting_writes_one_xml_and_one_bin(built, inputs, reference) -> None:
    model, cache = built
    names = _files(cache)
    assert len(names) == 2, names  # no staging folder left behind
    assert [n.rsplit(".", 1)[1] for n in names] == ["bin", "xml"]
    assert names[0].rsplit(".", 1)[0] == names[1].rsplit(".", 1)[0] and names[0].startswith(ARCH)
    torch.testing.assert_close(model(inputs), reference, rtol=1e-4, atol=1e-4)


def test_the_cached_body_is_reused_without_converting(built, tiny_weights, inputs, monkeypatch) -> None:
    model, cache = built
    before = _files(cache)

    def refuse(*_args, **_kwargs):
        raise AssertionError("convert_model called although the body is cached")

    monkeypatch.setattr(openvino, "convert_model", refuse)
    again = OpenVINOModel(tiny_model(tiny_weights), SIZE, [], weights_id="w1", cache_dir=cache)
    torch.testing.assert_close(again(inputs), model(inputs), rtol=1e-6, atol=1e-6)
    assert _files(cache) == before


def test_an_xml_without_its_bin_is_rebuilt(built, tiny_weights, inputs, reference, tmp_path,
                                          count_conversions) -> None:
    _, cache = built
    (xml,) = cache.glob("*.xml")
    shutil.copy(xml, tmp_path / xml.name)  # a half-written cache: the .bin is missing
    model = OpenVINOModel(tiny_model(tiny_weights), SIZE, [], weights_id="w1", cache_dir=tmp_path)
    assert len(count_conversions) == 1
    assert _files(tmp_path) == _files(cache)
    assert (tmp_path / xml.name).with_suffix(".bin").stat().st_size > 100_000  # the weights, in fp32
    torch.testing.assert_close(model(inputs), reference, rtol=1e-4, atol=1e-4)


def test_other_weights_get_their_own_file(built, tiny_weights, tmp_path, count_conversions) -> None:
    _, cache = built
    for f in cache.iterdir():
        shutil.copy(f, tmp_path / f.name)
    before = set(_files(tmp_path))
    OpenVINOModel(tiny_model(tiny_weights), SIZE, [], weights_id="w2", cache_dir=tmp_path)
    assert len(count_conversions) == 1
    added = set(_files(tmp_path)) - before
    assert len(added) == 2 and {n.rsplit(".", 1)[1] for n in added} == {"xml", "bin"}
    assert before <= set(_files(tmp_path))  # the first weights' body is still there


def test_threads_each_get_their_own_result(built, inputs) -> None:
    model, _ = built
    singles = [inputs[i : i + 1] for i in range(4)]
    sequential = [model(x) for x in singles]
    assert all(not torch.allclose(sequential[0], s) for s in sequential[1:])  # the inputs differ
    start = threading.Barrier(4)

    def work(i: int) -> list[torch.Tensor]:
        start.wait()
        return [model(singles[i]) for _ in range(25)]

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(work, range(4)))
    for i, outs in enumerate(results):
        for out in outs:
            torch.testing.assert_close(out, sequential[i], rtol=1e-6, atol=1e-6)


def test_the_cache_keeps_only_the_newest_bodies_of_an_architecture(tmp_path, monkeypatch) -> None:
    import os
    import time

    from tools import backends

    arch = "test_efficientnet"
    for i in range(backends.KEEP_PER_ARCHITECTURE + 2):
        for suffix in (".xml", ".bin"):
            f = tmp_path / f"{arch}-{i:04d}{suffix}"
            f.write_text("x")
            os.utime(f, (time.time() - 100 + i, time.time() - 100 + i))
    (tmp_path / "other-0000.xml").write_text("x")
    backends._prune(tmp_path, arch)
    kept = sorted(p.name for p in tmp_path.glob(f"{arch}-*.xml"))
    assert kept == [f"{arch}-{i:04d}.xml" for i in range(2, backends.KEEP_PER_ARCHITECTURE + 2)]
    assert len(list(tmp_path.glob(f"{arch}-*.bin"))) == backends.KEEP_PER_ARCHITECTURE
    assert (tmp_path / "other-0000.xml").exists()
