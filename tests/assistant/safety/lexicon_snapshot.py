"""Records what the lexicon's regular expressions decide (tests/assistant/safety/test_lexicon_data.py pins it).

`python -m tests.assistant.safety.lexicon_snapshot` prints every decision that a lexicon change alters, then
rewrites lexicon_snapshot.json: the texts (red-team cases, intent exemplars, the prompts' and catalogues' texts,
the strings of the safety tests), what `check_rules`, `find_forbidden`, `find_filler`, `find_wrong_class` and
`topics` make of each, and the source of every compiled pattern of the four modules. Rewrite it only for a
deliberate change to prompts/lexicon/, after reading the printed changes (they belong in the commit message);
never to make the test pass. First written before the lexicon moved from Python into data, to show the move
changed nothing."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[3]
SNAPSHOT = Path(__file__).with_name("lexicon_snapshot.json")


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def collect_texts() -> list[str]:
    texts: list[str] = []
    for path in sorted((ROOT / "tests" / "redteam").glob("*.jsonl")):
        texts += [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for path in sorted((ROOT / "prompts").rglob("*.toml")):
        if "lexicon" not in path.parts:
            texts += _strings(tomllib.loads(path.read_text(encoding="utf-8")))
    for path in sorted((ROOT / "prompts").rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        texts += [text, *(p for p in text.split("\n\n"))]
    sources = [*sorted((ROOT / "tests" / "assistant" / "safety").glob("test_*.py")),
               ROOT / "tests" / "assistant" / "conversation" / "test_followup.py",
               *sorted((ROOT / "tests" / "assistant" / "text").glob("test_*.py"))]
    for path in sources:
        if path.name == "test_lexicon_data.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                texts.append(node.value)
    return sorted({t for t in texts if len(t.strip()) >= 2})


def outputs(text: str) -> dict:
    from assistant.conversation.topics import topics
    from assistant.safety.answer_checks import find_filler, find_wrong_class
    from assistant.safety.forbidden import find_forbidden
    from assistant.safety.rules import check_rules

    verdict = check_rules(text)
    spans = lambda vs: [[v.kind, v.start, v.end] for v in vs]
    return {"rules": [str(verdict.route.value), verdict.category], "forbidden": spans(find_forbidden(text)),
            "filler": spans(find_filler(text)), "wrong_class": spans(find_wrong_class(text)), "topics": topics(text)}


def compiled_patterns() -> dict[str, list]:
    """Every compiled pattern of the four modules: name -> [pattern, flags]."""
    import importlib

    found: dict[str, list] = {}
    for name in ("assistant.safety.rules", "assistant.safety.forbidden", "assistant.safety.answer_checks",
                 "assistant.conversation.topics"):
        module = importlib.import_module(name)
        for attr, value in vars(module).items():
            key = f"{name.rsplit('.', 1)[1]}.{attr}"
            if isinstance(value, re.Pattern):
                found[key] = [value.pattern, int(value.flags)]
            elif isinstance(value, dict) and value and all(isinstance(v, re.Pattern) for v in value.values()):
                found.update({f"{key}[{k}]": [v.pattern, int(v.flags)] for k, v in value.items()})
            elif isinstance(value, tuple) and value and all(isinstance(v, re.Pattern) for v in value):
                found.update({f"{key}[{i}]": [v.pattern, int(v.flags)] for i, v in enumerate(value)})
    return found


def rules_table() -> list[list]:
    from assistant.safety.rules import _COMPILED

    return [[str(route.value), cat, [p.pattern for p in pats], guarded] for route, cat, pats, guarded in _COMPILED]


def changes(snapshot: dict) -> list[str]:
    """What the new snapshot decides differently from the one on disk, one line per text and check."""
    old = json.loads(SNAPSHOT.read_text(encoding="utf-8")) if SNAPSHOT.exists() else {"outputs": {}}
    return [f"{check}: {was.get(check)} -> {now.get(check)} | {text[:100]!r}"
            for text, now in snapshot["outputs"].items() if text in old["outputs"]
            for was in [old["outputs"][text]] for check in sorted({*was, *now}) if was.get(check) != now.get(check)]


def main() -> None:
    texts = collect_texts()
    snapshot = {"patterns": compiled_patterns(), "rules": rules_table(),
                "outputs": {t: {k: v for k, v in outputs(t).items() if v} for t in texts}}  # empty results left out
    from assistant.safety.rules import EMERGENCY_CATEGORIES

    snapshot["emergency_categories"] = list(EMERGENCY_CATEGORIES)
    print(*changes(snapshot), sep="\n")
    SNAPSHOT.write_text(json.dumps(snapshot, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n", encoding="utf-8")
    print(len(texts), "texts,", len(snapshot["patterns"]), "patterns,", len(snapshot["rules"]), "rules")


if __name__ == "__main__":
    main()
