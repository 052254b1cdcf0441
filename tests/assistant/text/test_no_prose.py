"""Decide in code, word in data: the modules that decide or show hold no sentence a user reads. Docstrings,
log lines, programming errors and schema descriptions aside; the CLI, settings help, metric descriptions,
the red-team runner, the lexicon (its words move to data files later) and the seed's schema are not scanned."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
NOT_SCANNED = {"assistant/edges/cli.py", "assistant/edges/cli_report.py", "assistant/edges/cli_training.py", "assistant/core/settings.py", "assistant/core/metrics.py", "assistant/edges/redteam.py", "assistant/edges/redteam_fit.py",
               "assistant/text/lexicon.py", "assistant/edges/api/seed.py"}
TOOLS = ("intake", "triage", "ood", "result", "catalogue", "lesion_tool", "text")
WORD = re.compile(r"^[A-Za-z']+[.,;:!?]?$")
MAX_WORDS = 5  # six words or more make a sentence


def _exempt(tree: ast.AST) -> set[int]:
    """Nodes whose strings are not for users: docstrings, log calls, errors raised or built, descriptions."""
    skip: list[ast.AST] = []
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            skip.append(body[0].value)
        if isinstance(node, ast.Raise) and node.exc is not None:
            skip.append(node.exc)
        if isinstance(node, ast.Assert) and node.msg is not None:
            skip.append(node.msg)
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            owner = getattr(func.value, "id", "") if isinstance(func, ast.Attribute) else ""
            if owner in ("log", "logging") or name == "Field" or name.endswith("Error"):
                skip.append(node)
            skip += [k.value for k in node.keywords if k.arg in ("description", "help")]
    return {id(inner) for node in skip for inner in ast.walk(node)}


def sentences(source: str) -> list[tuple[int, str]]:
    tree = ast.parse(source)
    exempt = _exempt(tree)
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in exempt
            and sum(bool(WORD.match(w)) for w in node.value.split()) > MAX_WORDS]


def test_the_scan_finds_a_sentence() -> None:
    source = 'def f():\n    """A docstring of more than six words here."""\n    log.info("a log line of six words or more")\n' \
             '    raise ValueError("an error message of six words or more")\n    return "You should see a doctor about this."\n'
    assert sentences(source) == [(5, "You should see a doctor about this.")]


def test_no_sentence_for_users_is_written_in_python() -> None:
    files = [p for p in sorted((ROOT / "assistant").rglob("*.py")) if str(p.relative_to(ROOT)) not in NOT_SCANNED]
    files += [ROOT / "tools" / f"{name}.py" for name in TOOLS]
    found = [f"{p.relative_to(ROOT)}:{line}: {text[:60]!r}" for p in files
             for line, text in sentences(p.read_text(encoding="utf-8"))]
    assert not found, "\n".join(found)
