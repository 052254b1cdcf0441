"""The catalogue against the code: every message id the code uses exists in English, with the placeholders
the code fills, and no id is left unused; the other locales translate a subset of the English ids with
the same placeholders, and each has every reply a crisis needs."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import get_args

import pytest

from assistant.clinic.handoff import Refusal
from assistant.edges.api.routes import BROWSER_TEXTS
from assistant.edges.api.staff_page import STAFF_LABELS
from assistant.llm.client import FailureKind
from assistant.safety.replies import ReplyKind
from assistant.safety.rules import EMERGENCY_CATEGORIES
from assistant.safety.violations import ViolationKind
from assistant.text.lexicon import LANGUAGES
from tools.catalogue import catalogue as classes
from tools.intake import KINDS
from tools.result import ClassificationResult
from tools.text import DEFAULT_LOCALE, LOCALES_DIR, SIZE_UNITS, catalogue, placeholders

ROOT = Path(__file__).resolve().parents[3]
SOURCES = ("assistant", "tools")
WORDING_CALLS = {"t", "msg"}  # t(id, ...) words a message now, msg(id, ...) hands it on as a Message
# term(family, code): each family with every code it can take.
FAMILIES = {
    "file_kind": KINDS,
    "browser": BROWSER_TEXTS,
    "clinic.refused": get_args(Refusal),
    "clinic.staff": STAFF_LABELS,
    "check_reason": get_args(ViolationKind),
    "llm_failed": get_args(FailureKind),
    "reply": get_args(ReplyKind),
    "emergency_lead": EMERGENCY_CATEGORIES,
    "confidence_band": get_args(ClassificationResult.model_fields["confidence_band"].annotation),
    **{family: classes().dx_codes for family in ("lesion_name", "lesion_in_sentence", "lesion_description")},
    **{family: list(classes().tiers) for family in ("tier_title", "tier_action")},
}
# Ids picked by value rather than named by a literal: each with the placeholders it must have.
DYNAMIC = {f"{family}.{code}": set() for family, codes in FAMILIES.items() for code in codes} | {
    unit: {"n"} for _, unit in SIZE_UNITS} | {"reply.no_image": {"max_mb"}, "browser.too_large": {"max_mb"}}
# What every locale must word itself: a crisis reply in English may not be understood in time.
EVERY_LOCALE = {"reply.english_only", "reply.emergency", "reply.emergency_now", "reply.self_harm"} | {
    f"emergency_lead.{c}" for c in EMERGENCY_CATEGORIES}


class Use:
    def __init__(self, where: str, message_id: str | None, params: set[str] | None) -> None:
        self.where, self.id, self.params = where, message_id, params  # params None: passed on with **


def uses_in(source: str, where: str) -> list[Use]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
        if name not in WORDING_CALLS | {"term"} or not node.args:
            continue
        first = node.args[0]
        message_id = first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else None
        if name == "term":  # the family must be one whose every member DYNAMIC checks
            found.append(Use(f"{where}:{node.lineno}", None if message_id not in FAMILIES else "", set()))
            continue
        spread = any(k.arg is None for k in node.keywords)
        params = None if spread else {k.arg for k in node.keywords}
        found.append(Use(f"{where}:{node.lineno}", message_id, params))
    return found


def code_uses() -> list[Use]:
    return [use for folder in SOURCES for path in sorted((ROOT / folder).rglob("*.py"))
            for use in uses_in(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))]


def locales() -> list[str]:
    return sorted(p.name for p in LOCALES_DIR.iterdir() if (p / "messages.toml").is_file())


def test_the_scan_finds_ids_and_parameters() -> None:
    """The scan below is what the other tests trust: literal ids with their keywords, the rest flagged."""
    source = 't("chat.a", number=1)\nx.msg("intake.b")\nt(name, n=2)\nt("c", **p)\nprint("d")\nterm("file_kind", k)\n'
    uses = uses_in(source + 'term("colour", k)', "f.py")
    assert [(u.id, u.params) for u in uses] == [("chat.a", {"number"}), ("intake.b", set()), (None, {"n"}),
                                               ("c", None), ("", set()), (None, set())]


def test_the_code_names_its_messages_literally() -> None:
    """Outside the text package a message id is a literal, so this test (and a reviewer) can find it."""
    hidden = [u.where for u in code_uses() if u.id is None and u.where.split(":")[0] != "tools/text.py"]
    assert not hidden


def test_every_message_the_code_uses_exists_with_its_placeholders() -> None:
    locale = DEFAULT_LOCALE
    messages = catalogue(locale).messages
    problems = []
    for use in code_uses():
        if not use.id:
            continue
        if use.id not in messages:
            problems.append(f"{use.where}: {use.id} is not in {locale}")
        elif use.params is not None and use.params != placeholders(messages[use.id]):
            problems.append(f"{use.where}: {use.id} is given {sorted(use.params)}, "
                            f"its text wants {sorted(placeholders(messages[use.id]))}")
    for message_id, params in DYNAMIC.items():
        if placeholders(messages.get(message_id, "")) != params:
            problems.append(f"{message_id} in {locale} should use exactly {sorted(params)}")
    assert not problems, "\n".join(problems)


def test_no_orphan_messages() -> None:
    used = {u.id for u in code_uses()} | set(DYNAMIC)
    orphans = sorted(set(catalogue(DEFAULT_LOCALE).messages) - used)
    assert not orphans, f"in the catalogue but used nowhere: {orphans}"


def test_every_supported_language_has_a_catalogue() -> None:
    assert locales() == sorted(LANGUAGES)


@pytest.mark.parametrize("locale", locales())
def test_a_locale_translates_english_ids_with_their_placeholders(locale: str) -> None:
    english, other = catalogue(DEFAULT_LOCALE).messages, catalogue(locale).messages
    assert not set(other) - set(english), "ids English does not have"
    assert {k: placeholders(v) for k, v in other.items()} == {k: placeholders(english[k]) for k in other}
    assert not EVERY_LOCALE - set(other), "a crisis reply must be in every locale"


def test_the_starter_questions_are_complete() -> None:
    entries = catalogue(DEFAULT_LOCALE).data["faq"]
    assert len({e["id"] for e in entries}) == len(entries) == 3
    for e in entries:
        assert e["label"] and e["questions"] and e["answer"].strip()
        assert placeholders(e["answer"]) <= {"tiers", "max_mb"}, e["id"]
