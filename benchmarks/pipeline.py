"""The pipeline end to end, both profiles side by side in one run: the seed-style loop against ours
(PyTorch fp32, OpenVINO fp32, PyTorch bf16; speed, and agreement with PyTorch fp32 on the holdout split),
micro-batched concurrency, cold start (converting for OpenVINO, then from its cache), peak RSS, and photo -> card -> report through the conversation logic with a local llama.cpp server.

    python benchmarks/pipeline.py [--profiles ham10k-lite-v1,seed-seresnext101] [--no-llm] [--json OUT]

Each profile runs in a fresh process (cold start and peak RSS are per process). The seed profile's
SE-ResNeXt-101 weights cannot be downloaded here, so two randomly initialised seresnext101_32x8d
members are saved as seed-style checkpoints and loaded through the app's own path (PROFILE +
MODEL_A_PATH / MODEL_B_PATH); their agreement figures are an indication only. Timings on a shared
machine are noisy: compare the ratios of columns measured side by side (interleaved rounds)."""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # `python benchmarks/pipeline.py` from anywhere

import torch  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "ham10000_224" / "images"
ASSETS = ROOT / "tests" / "assets"
PHOTOS = ["ISIC_0024306.jpg", "ISIC_0024453.jpg"]  # a nevus and a keratosis: two different reports
SEED = "seed-seresnext101"


# ---------------------------------------------------------------- measuring helpers (pure where possible)


def summary(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"median_s": statistics.median(ordered), "p95_s": p95, "max_s": ordered[-1], "n": len(ordered)}


def memory_mb() -> dict[str, float]:
    """Current and peak resident memory of this process (VmHWM can be reset, see reset_peak)."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    return {"rss_mb": int(fields["VmRSS"].split()[0]) / 1024, "peak_mb": int(fields["VmHWM"].split()[0]) / 1024}


def reset_peak() -> None:
    try:  # Linux: "5" resets the peak RSS to the current RSS, so each phase gets its own peak
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def matmul_peak_gflops(dtype: torch.dtype, n: int = 2048, rounds: int = 5) -> float:
    """Best sustained GEMM rate now, on this machine: the roofline the model figures are held against."""
    a, b = torch.randn(n, n).to(dtype), torch.randn(n, n).to(dtype)
    a @ b
    best = 0.0
    for _ in range(rounds):
        t = time.perf_counter()
        for _ in range(3):
            a @ b
        best = max(best, 3 * 2 * n**3 / (time.perf_counter() - t) / 1e9)
    return best


def analysis_flops(ensemble, checked) -> float:
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        ensemble.classify(checked)
    return float(counter.get_total_flops())


def seed_style(members, image) -> torch.Tensor:
    """The seed's loop: each TTA view a batch-1 fp32 forward, the members one after the other."""
    from tools.preprocess import prepare

    per_member = []
    with torch.no_grad():
        for m in members:
            x = prepare(image, m.spec, True)
            per_member.append(torch.stack([m.model(x[v : v + 1]).softmax(1)[0] for v in range(len(x))]).mean(0))
    return torch.stack(per_member).mean(0)


def agreement(reference: torch.Tensor, candidate: torch.Tensor) -> dict[str, float]:
    diff = (reference - candidate).abs().amax(1)
    return {"images": len(reference), "top1_agreement": float((reference.argmax(1) == candidate.argmax(1)).float().mean()),
            "max_prob_diff": float(diff.max()), "p99_prob_diff": float(diff.quantile(0.99))}


PATHS = [("fp32", "torch"), ("fp32", "openvino"), ("bf16", "torch")]  # (precision, backend) of "ours"


def path_name(precision: str, backend: str) -> str:
    return f"ours {precision} {backend}"


def holds(a: dict[str, float]) -> bool:
    return a["top1_agreement"] >= 0.995 and a["max_prob_diff"] <= 0.01


def holdout_paths(limit: int) -> list[Path]:
    with open(ROOT / "weights" / "split.csv", newline="", encoding="utf-8") as fh:
        ids = [r["image_id"] for r in csv.DictReader(fh) if r["split"] == "holdout"]
    return [DATA / f"{i}.jpg" for i in ids[:limit]]


# ---------------------------------------------------------------- one profile, in its own process


async def concurrency(tool, data: bytes, n: int) -> dict:
    """n sessions send a photo at once through the chat's classifier tool; a 10 ms ticker on the loop
    records its worst delay meanwhile."""
    worst, stop = 0.0, asyncio.Event()

    async def ticker() -> None:
        nonlocal worst
        while not stop.is_set():
            t = time.perf_counter()
            await asyncio.sleep(0.01)
            worst = max(worst, time.perf_counter() - t - 0.01)

    async def one() -> float:
        t = time.perf_counter()
        await tool.ainvoke({"image": data})
        return time.perf_counter() - t

    reset_peak()
    before = memory_mb()["rss_mb"]
    tick = asyncio.ensure_future(ticker())
    start = time.perf_counter()
    latencies = await asyncio.gather(*(one() for _ in range(n)))
    wall = time.perf_counter() - start
    stop.set()
    await tick
    return {"sessions": n, "wall_s": wall, "throughput_per_s": n / wall, **summary(latencies),
            "ticker_worst_ms": worst * 1000, "rss_before_mb": before, **memory_mb()}


class TimedLLM:
    """The app's LLM client, recording when each streamed piece arrives (llama.cpp streams one token per
    chunk) and the messages sent, without changing what the conversation sees."""

    def __init__(self, inner) -> None:
        self.inner, self.calls = inner, []

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def stream(self, messages):
        call = {"messages": messages, "sent": time.perf_counter(), "tokens": []}
        self.calls.append(call)
        inner = self.inner.stream(messages)

        class Stream:
            def __getattr__(self, name):
                return getattr(inner, name)

            async def __aiter__(self):
                async for text in inner:
                    call["tokens"].append(time.perf_counter())
                    yield text

        return Stream()


async def end_to_end(ensemble, base_url: str) -> list[dict]:
    """Two photos in one conversation (the second shows the server's prefix cache at work)."""
    import httpx

    from assistant.core.events import ResultCard, TextDelta, TextStarted
    from assistant.llm.client import LLMClient, LLMConfig
    from assistant.conversation.orchestrator import Attachment, Conversation, Services, Turn
    from assistant.core.runtime import intake_limits
    from assistant.core.settings import get_settings
    from tools.lesion_tool import make_heatmap_tool, make_lesion_tool

    settings = get_settings()
    limits = intake_limits(settings)
    llm = TimedLLM(LLMClient(LLMConfig.from_settings(settings, base_url=base_url)))
    services = Services(settings, make_lesion_tool(ensemble, limits), llm,
                        heatmap=make_heatmap_tool(ensemble, limits) if settings.show_heatmap else None)
    chat = Conversation(services)
    rows = []
    for name in PHOTOS:
        start = time.perf_counter()
        marks: dict[str, float] = {}
        report_id, deltas = None, 0
        async for event in chat.handle(Turn(attachments=[Attachment(name=name, data=(ASSETS / name).read_bytes())])):
            now = time.perf_counter() - start
            if isinstance(event, ResultCard):
                marks.setdefault("card_s", now)
            elif isinstance(event, TextStarted) and event.purpose == "report":
                report_id = event.message_id
            elif isinstance(event, TextDelta) and event.message_id == report_id:
                deltas += 1
                if deltas == 2:  # the first is the app's heading; the second, the first checked section
                    marks["shown_s"] = now
        call = llm.calls[-1]
        tokens = call["tokens"]
        rows.append({"photo": name, "card_s": marks.get("card_s"), "first_checked_text_s": marks.get("shown_s"),
                     "first_token_s": tokens[0] - start if tokens else None, "report_s": time.perf_counter() - start,
                     "completion_tokens": len(tokens),
                     "tokens_per_s": (len(tokens) - 1) / (tokens[-1] - tokens[0]) if len(tokens) > 1 else None,
                     "messages": call["messages"]})
    async with httpx.AsyncClient(base_url=base_url.removesuffix("/v1"), timeout=120) as http:
        model = (await http.get("/v1/models")).json()["data"][0]["id"]
        texts = []
        for row in rows:  # counted after the timed runs, so counting cannot warm the cache for them
            reply = await http.post("/v1/chat/completions", json={"model": model, "messages": row["messages"], "max_tokens": 1})
            row["prompt_tokens"] = reply.json()["usage"]["prompt_tokens"]
            texts.append("\n".join(m["content"] if isinstance(m["content"], str) else m["content"][0]["text"]
                                   for m in row.pop("messages")))
        ids = [(await http.post("/extras/tokenize", json={"input": t})).json()["tokens"] for t in texts]
    shared = next((i for i, (a, b) in enumerate(zip(*ids)) if a != b), min(map(len, ids)))
    for row in rows:
        row["prompt_prefix_shared_tokens"] = shared  # the part a server's prefix cache can reuse
    return rows


def child(args: dict) -> dict:
    spawned = args["spawned"]
    from assistant.core.runtime import get_ensemble, intake_limits
    from tools.classifier import Ensemble
    from tools.intake import load_image_file
    from tools.lesion_tool import make_lesion_tool

    out: dict = {"profile": args["profile"]}
    photo = load_image_file(ASSETS / PHOTOS[0])
    libraries_mb = memory_mb()["rss_mb"]  # Python, torch, timm, the app's modules: before any weights
    ours = get_ensemble()  # the app's own path: settings -> profile -> precision -> backend -> batching
    out["load_peak_rss_mb"] = memory_mb()["peak_mb"]  # transient: a checkpoint and its model side by side
    reset_peak()
    ours.classify(photo)
    out["cold_start_s"] = time.time() - spawned
    if args.get("cold_start_only"):
        return out
    out["precision"], out["backend"] = ours.precision, ours.backend
    out["serving_peak_rss_mb"] = memory_mb()["peak_mb"]  # both members loaded, one analysis run
    out["members_rss_mb"] = out["serving_peak_rss_mb"] - libraries_mb

    tool, data = make_lesion_tool(ours, intake_limits()), (ASSETS / PHOTOS[0]).read_bytes()
    policy = ours.batcher.policy
    from tools.batching import BatchPolicy

    out["concurrency"] = []
    for n in args["sessions"]:
        default = f"default ({policy.max_items} max)" if policy.max_items > 1 else "default (alone)"
        modes = [("one at a time", BatchPolicy(0.0, 1)), (default, policy)]
        if policy != BatchPolicy():  # what the default was chosen against: micro-batches of up to 4
            modes.append(("batches of 4", BatchPolicy()))
        for mode, p in modes:
            ours.batcher.policy, ours.batcher.batch_sizes = p, []
            row = asyncio.run(concurrency(tool, data, n))
            out["concurrency"].append({"mode": mode, "largest_batch": max(ours.batcher.batch_sizes), **row})
    ours.batcher.policy = policy

    # Loaded only now, so the concurrency figures above hold the app's ensemble alone.
    # PyTorch fp32 drives the seed-style loop and is the reference every other path is held against;
    # its FLOPs are counted there (a counter cannot see inside OpenVINO).
    loaded = {(ours.precision, ours.backend): ours}
    for key in PATHS:
        if key not in loaded:
            loaded[key] = Ensemble.load(ours.profile, "cpu", key[0], backend=key[1])
    reference = loaded[("fp32", "torch")]
    out["flops_per_analysis"] = analysis_flops(reference, photo)
    variants = {"seed-style fp32": lambda: seed_style(reference.members, photo.image)}
    variants |= {path_name(*key): (lambda e=loaded[key]: e.classify(photo)) for key in PATHS}
    for fn in variants.values():
        fn()
    times: dict[str, list[float]] = {k: [] for k in variants}
    peaks = {"fp32": 0.0, "bf16": 0.0}
    # The heat-map the chat shows beside the card (Grad-CAM of the top class, PNG overlay), on the app's path.
    from tools.catalogue import catalogue
    from tools.saliency import heatmap_png

    top = ours.classify(photo)
    top_index = catalogue().labels.index(top.label)
    heatmap = lambda: heatmap_png(ours, photo.image, top_index)  # noqa: E731
    heatmap()
    heat_times: list[float] = []
    for _ in range(args["repeats"]):  # interleaved: drift on a shared machine hits every column alike
        for k, fn in variants.items():
            t = time.perf_counter()
            fn()
            times[k].append(time.perf_counter() - t)
        t = time.perf_counter()
        heatmap()
        heat_times.append(time.perf_counter() - t)
        for key, dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16)):  # the roofline, in the same rounds
            peaks[key] = max(peaks[key], matmul_peak_gflops(dtype, rounds=1))
    out["latency"] = {k: summary(v) for k, v in times.items()}
    out["heatmap"] = summary(heat_times)
    out["matmul_peak_gflops"] = peaks

    paths = holdout_paths(args["agreement_images"])
    probs: dict[str, list[torch.Tensor]] = {path_name(*key): [] for key in loaded}
    for i in range(0, len(paths), 8):
        batch = [(load_image_file(p), True) for p in paths[i : i + 8]]
        for key, ens in loaded.items():
            probs[path_name(*key)] += [torch.tensor(list(r.probabilities.values())) for r in ens.classify_batch(batch)]
    ref = torch.stack(probs.pop(path_name("fp32", "torch")))
    out["agreement_vs_torch_fp32"] = {name: agreement(ref, torch.stack(p)) for name, p in probs.items()}
    if args.get("llm_url"):
        out["end_to_end"] = asyncio.run(end_to_end(ours, args["llm_url"]))
    return out


def run_child(profile: str, env: dict[str, str], args: dict) -> dict:
    payload = json.dumps({**args, "profile": profile, "spawned": time.time()})
    proc = subprocess.run([sys.executable, __file__, "--child", payload], cwd=ROOT, env={**os.environ, **env},
                          capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(f"{profile} failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def seed_checkpoints(folder: Path) -> tuple[Path, Path]:
    """Seed-style checkpoints (plain state_dicts, as best_model_*_tuned.pth) of random-init members."""
    import timm

    paths = (folder / "best_model_A_tuned.pth", folder / "best_model_B_tuned.pth")
    for seed, path in enumerate(paths, start=1):
        torch.manual_seed(seed)
        torch.save(timm.create_model("seresnext101_32x8d", num_classes=7).state_dict(), path)
    return paths


# ---------------------------------------------------------------- the table


def table(results: list[dict]) -> str:
    lines = [f"{'profile':<20}{'path':<22}{'median s':>9}{'p95 s':>8}{'vs seed':>8}{'GFLOP/s':>9}{'% peak':>8}"]
    for r in results:
        lat, seed_median, peaks = r["latency"], r["latency"]["seed-style fp32"]["median_s"], r["matmul_peak_gflops"]
        for path, s in lat.items():
            gflops = r["flops_per_analysis"] / s["median_s"] / 1e9
            peak = peaks["bf16" if "bf16" in path else "fp32"]
            mark = " <- app" if path == path_name(r["precision"], r["backend"]) else ""
            lines.append(f"{r['profile']:<20}{path:<22}{s['median_s']:>9.3f}{s['p95_s']:>8.3f}"
                         f"{seed_median / s['median_s']:>7.2f}x{gflops:>9.1f}{100 * gflops / peak:>7.0f}%{mark}")
    lines += [f"{r['profile']:<20}GFLOP/s against the best {r['matmul_peak_gflops']['fp32']:.0f} (fp32) / "
              f"{r['matmul_peak_gflops']['bf16']:.0f} (bf16) of a 2048x2048 matmul timed in the same rounds"
              for r in results]
    lines += [f"{r['profile']:<20}heat-map (Grad-CAM of the top class + PNG overlay): median {r['heatmap']['median_s']:.3f} s, "
              f"p95 {r['heatmap']['p95_s']:.3f} s, {r['heatmap']['median_s'] / r['latency'][path_name(r['precision'], r['backend'])]['median_s']:.2f}x "
              f"an analysis on the app's path" for r in results if "heatmap" in r]
    lines += ["", f"{'profile':<20}{'app path':>22}{'cold start s':>13}{'cached s':>9}{'peak RSS MB':>12}{'members MB':>11}"]
    for r in results:
        lines.append(f"{r['profile']:<20}{path_name(r['precision'], r['backend']):>22}{r['cold_start_s']:>13.1f}"
                     f"{r['cold_start_cached_s']:>9.1f}"
                     f"{r['serving_peak_rss_mb']:>12.0f}{r['members_rss_mb']:>11.0f}")
    lines += ["", f"{'profile':<20}{'against ours fp32 torch':<24}{'top-1 agree':>12}{'max |dp|':>9}{'holds':>6}"]
    for r in results:
        for name, a in r["agreement_vs_torch_fp32"].items():
            lines.append(f"{r['profile']:<20}{name:<24}{100 * a['top1_agreement']:>11.1f}%{a['max_prob_diff']:>9.5f}"
                         f"{'yes' if holds(a) else 'NO':>6}  ({a['images']} holdout images"
                         f"{', RANDOM weights: indication only' if r['profile'] == SEED else ''})")
    lines += ["", f"{'profile':<20}{'sessions':>8} {'mode':<15}{'per s':>7}{'median s':>9}{'p95 s':>8}"
              f"{'batch':>6}{'ticker ms':>10}{'RSS MB':>8}{'peak MB':>8}"]
    for r in results:
        for c in r["concurrency"]:
            lines.append(f"{r['profile']:<20}{c['sessions']:>8} {c['mode']:<15}{c['throughput_per_s']:>7.2f}"
                         f"{c['median_s']:>9.2f}{c['p95_s']:>8.2f}{c['largest_batch']:>6}{c['ticker_worst_ms']:>10.1f}"
                         f"{c['rss_mb']:>8.0f}{c['peak_mb']:>8.0f}")
    if any("end_to_end" in r for r in results):
        lines += ["", f"{'profile':<20}{'photo':<18}{'card s':>7}{'1st token s':>12}{'1st shown s':>12}"
                  f"{'tok/s':>7}{'prompt tok':>11}{'shared prefix':>14}{'done s':>7}"]
        for r in results:
            for e in r.get("end_to_end", []):
                lines.append(f"{r['profile']:<20}{e['photo']:<18}{e['card_s']:>7.2f}{e['first_token_s']:>12.2f}"
                             f"{e['first_checked_text_s'] or float('nan'):>12.2f}{e['tokens_per_s'] or 0:>7.1f}"
                             f"{e['prompt_tokens']:>11}{e['prompt_prefix_shared_tokens']:>14}{e['report_s']:>7.1f}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profiles", default=f"ham10k-lite-v1,{SEED}")
    parser.add_argument("--repeats", type=int, default=7, help="interleaved rounds per latency column")
    parser.add_argument("--sessions", default="1,4,16", help="simultaneous analyses to measure")
    parser.add_argument("--agreement-images", type=int, default=748, help="holdout images for the real-weights check")
    parser.add_argument("--seed-agreement-images", type=int, default=32, help="... for the random-weight seed pair")
    parser.add_argument("--seed-precision", default="auto", help="INFERENCE_PRECISION for the seed profile's app path")
    parser.add_argument("--no-llm", action="store_true", help="skip the llama.cpp end-to-end part")
    parser.add_argument("--report-tokens", type=int, default=256,
                        help="LLM_MAX_TOKENS for the end-to-end reports: enough for the first-token and tokens/s "
                        "figures; a whole report on 2 shared cores takes minutes")
    parser.add_argument("--json", type=Path, help="write every figure here")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return

    common = {"repeats": args.repeats, "sessions": [int(s) for s in args.sessions.split(",")]}
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        server = None
        if not args.no_llm:
            from tests.servers import llama_server, smollm2_gguf

            server = llama_server(smollm2_gguf(), log_path=Path(tmp) / "llama.log")
            common["llm_url"] = server.__enter__()
        try:
            for profile in args.profiles.split(","):
                if profile == SEED:
                    a, b = seed_checkpoints(Path(tmp))
                    env = {"PROFILE": SEED, "MODEL_A_PATH": str(a), "MODEL_B_PATH": str(b),
                           "INFERENCE_PRECISION": args.seed_precision}
                    n = args.seed_agreement_images
                else:
                    env, n = {"PROFILE": profile, "INFERENCE_PRECISION": "auto"}, args.agreement_images
                env["LLM_MAX_TOKENS"] = str(args.report_tokens)
                # An empty cache: the first start converts the members for OpenVINO; a second start reads them.
                env["XDG_CACHE_HOME"] = str(Path(tmp) / f"cache-{profile}")
                results.append(run_child(profile, env, {**common, "agreement_images": n}))
                results[-1]["cold_start_cached_s"] = run_child(profile, env, {"cold_start_only": True})["cold_start_s"]
                print(f"done: {profile}", file=sys.stderr)
        finally:
            if server is not None:
                server.__exit__(None, None, None)
    report = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "cpu_threads": torch.get_num_threads(),
              "report_max_tokens": None if args.no_llm else args.report_tokens,
              "cuda": torch.cuda.is_available(), "profiles": results}
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
