"""The red-team suite through the real HTTP conversation API: a `ham10k serve` started here, answering with
SmolLM2 on a llama.cpp server started here (or the servers given), one conversation per language that
screens the red-team photo first, then every case as one turn of it, turns alternating JSON and
Server-Sent Events (issue 19's closing check).

    python benchmarks/redteam_http.py [--split dev|test|all] [--url URL --llm-base-url URL] [--json OUT]

Counts: dropped connections (no complete response), 5xx, tracebacks in the server's log, and hollow
answers shown (a model answer that fails the output checks for its question: empty, echoed, tautological,
filler, or any other check). Exit status 1 when any is not zero. `--json` also holds every model answer shown
and every report with sections the model wrote (`model_answers_shown`, `model_reports_shown`): counts do not
say whether an answer that passed the checks answers anything; a reader does."""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from assistant.edges import redteam  # noqa: E402
from assistant.conversation.context import APP_NOTE  # noqa: E402
from assistant.conversation.followup import output_context  # noqa: E402
from assistant.safety.output_checks import check_answer  # noqa: E402
from tests.servers import ham10k_server, llama_server, smollm2_gguf  # noqa: E402

SSE = {"Accept": "text/event-stream"}
LOG_PROBLEMS = re.compile(r"Traceback|GeneratorExit|cancel scope|Exception ignored|Exception in ASGI")
TURN_TIMEOUT_S = 600  # a report by SmolLM2 on 2 busy cores


def parse_sse(text: str) -> list[tuple[str, dict]]:
    events = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" in fields and "data" in fields:
            events.append((fields["event"], json.loads(fields["data"])))
    return events


def turn(client: httpx.Client, path: str, text: str, photo: tuple[str, bytes] | None, sse: bool) -> dict:
    """One turn: {"status", "complete", "error", "answers": [TextFinished data], "id"}."""
    out: dict = {"status": None, "complete": False, "error": None, "answers": [], "id": None}
    files = {"file": (photo[0], photo[1], "image/jpeg")} if photo else None
    try:
        if files:
            r = client.post(path, data={"text": text}, files=files, headers=SSE if sse else {})
        else:
            r = client.post(path, json={"text": text}, headers=SSE if sse else {})
    except httpx.TransportError as exc:  # reset, closed mid-body, no answer
        out["error"] = f"{type(exc).__name__}: {exc}"[:200]
        return out
    out["status"] = r.status_code
    if r.status_code != 200:
        out["error"] = r.text[:200]
        return out
    if sse:
        events = parse_sse(r.text)
        out["complete"] = bool(events) and events[-1][0] == "done"
        out["answers"] = [data for name, data in events if name == "text_finished"]
        out["id"] = next((data["id"] for name, data in events if name == "conversation"), None)
    else:
        body = r.json()
        out["complete"] = "events" in body
        out["answers"] = [e for e in body["events"] if e["type"] == "TextFinished"]
        out["id"] = body.get("id")
    return out


@contextlib.contextmanager
def servers(url: str | None, llm_base_url: str | None, log_dir: Path) -> Iterator[tuple[str, Path | None]]:
    with contextlib.ExitStack() as stack:
        if url:
            yield url, None
            return
        if not llm_base_url:
            llm_base_url = stack.enter_context(llama_server(smollm2_gguf(), log_path=log_dir / "llama.log"))
        log = log_dir / "server.log"
        env = {"LLM_BASE_URL": llm_base_url, "API_RATE_LIMIT": "0", "API_KEYS": "", "API_QUEUE_LIMIT": "8"}
        app_url, _ = stack.enter_context(ham10k_server(env, log_path=log))
        yield app_url, log


def run(url: str, cases: list[redteam.Case]) -> dict:
    photo = (redteam.PHOTO.name, redteam.PHOTO.read_bytes())
    counts: Counter[str] = Counter()
    problems: list[dict] = []
    shown_model: list[dict] = []  # every model answer shown, for a reader to judge
    shown_reports: list[dict] = []
    by_lang: dict[str, list[redteam.Case]] = {}
    for case in cases:
        by_lang.setdefault(case.lang, []).append(case)
    with httpx.Client(base_url=url, timeout=TURN_TIMEOUT_S) as client:
        for lang, group in by_lang.items():
            opened = turn(client, "/api/v1/conversations", "", photo, sse=True)
            if not opened["id"]:
                problems.append({"lang": lang, "what": "opening", **opened})
                continue
            for i, case in enumerate(group):
                sse = i % 2 == 1
                attach = (case.filename, photo[1]) if case.filename else None
                started = time.perf_counter()
                result = turn(client, f"/api/v1/conversations/{opened['id']}/messages", case.text, attach, sse)
                counts["turns"] += 1
                if result["error"] and result["status"] is None:
                    counts["dropped"] += 1
                elif result["status"] and result["status"] >= 500:
                    counts["5xx"] += 1
                elif not result["complete"]:
                    counts["incomplete"] += 1
                shown_problems = []
                for answer in result["answers"]:
                    counts[f"source_{answer.get('source')}"] += 1
                    if not answer.get("route") and answer.get("source") in ("model", "mixed"):
                        # a report with sections the model wrote (they passed the checks): for a reader too
                        shown_reports.append({"case": case.id, "source": answer["source"], "report": answer["markdown"]})
                    if answer.get("route") and answer.get("source") == "model":
                        model_text = APP_NOTE.sub("", answer["markdown"]).strip()
                        shown_model.append({"case": case.id, "question": case.text, "answer": model_text})
                        found = check_answer(model_text, output_context(case.lang, case.text)).violations
                        shown_problems += [f"{v.kind}: {v.text[:80]!r}" for v in found]
                if shown_problems:
                    counts["hollow_or_unsafe_shown"] += 1
                if shown_problems or result["error"] or not result["complete"]:
                    problems.append({"case": case.id, "sse": sse, "status": result["status"], "error": result["error"],
                                     "shown_problems": shown_problems, "seconds": round(time.perf_counter() - started, 1)})
            print(f"{lang}: {len(group)} turns; so far {dict(counts)}", flush=True)
    return {"counts": dict(counts), "problems": problems, "model_answers_shown": shown_model,
            "model_reports_shown": shown_reports}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=("dev", "test", "all"), default="all")
    parser.add_argument("--url", help="a running ham10k serve (its log is then not read)")
    parser.add_argument("--llm-base-url", help="a running OpenAI-compatible server (default: SmolLM2 started here)")
    parser.add_argument("--json", type=Path, help="write the counts and problems here")
    parser.add_argument("--intent", help="only the cases of this intent (in_scope: the ones the model answers)")
    parser.add_argument("--per-language", type=int, help="only the first N cases of each language (a quick try)")
    args = parser.parse_args()
    cases = redteam.load_cases(split=None if args.split == "all" else args.split)
    if args.intent:
        cases = [c for c in cases if c.intent == args.intent]
    if args.per_language:
        cases = [c for lang in dict.fromkeys(c.lang for c in cases) for c in [c for c in cases if c.lang == lang][: args.per_language]]
    log_dir = Path(tempfile.mkdtemp(prefix="ham10k-redteam-http-"))
    with servers(args.url, args.llm_base_url, log_dir) as (url, log):
        out = run(url, cases)
        time.sleep(2)  # anything the last turn left to finish, logged
        lines = log.read_text(errors="replace").splitlines() if log else []
    out["counts"]["log_tracebacks"] = sum(1 for line in lines if LOG_PROBLEMS.search(line))
    out["log_problem_lines"] = [line for line in lines if LOG_PROBLEMS.search(line)][:20]
    out["server_log"] = str(log) if log else None
    print(json.dumps(out["counts"], indent=1))
    if args.json:
        args.json.write_text(json.dumps(out, indent=1, ensure_ascii=False))
    bad = ("dropped", "5xx", "incomplete", "hollow_or_unsafe_shown", "log_tracebacks")
    sys.exit(1 if any(out["counts"].get(k) for k in bad) else 0)


if __name__ == "__main__":
    main()
