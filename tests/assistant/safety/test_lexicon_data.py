"""The lexicon's decisions are pinned: lexicon_snapshot.json holds every compiled pattern of the safety checks,
the input rules in order, and what `check_rules`, `find_forbidden`, `find_filler`, `find_wrong_class` and
`topics` make of some 5,000 texts. A change to prompts/lexicon/ that alters any of them fails here until the
snapshot is rewritten on purpose (`python -m tests.assistant.safety.lexicon_snapshot` prints what changed:
read it, and say it in the commit). It first showed that moving the words from Python into data changed
nothing."""

from __future__ import annotations

import json

import pytest

from tests.assistant.safety.lexicon_snapshot import SNAPSHOT, compiled_patterns, outputs, rules_table

SNAP = json.loads(SNAPSHOT.read_text(encoding="utf-8"))


def test_compiled_patterns_are_unchanged():
    now = compiled_patterns()
    assert set(now) == set(SNAP["patterns"])
    assert sorted(k for k, v in SNAP["patterns"].items() if now[k] != v) == []


def test_input_rules_are_unchanged():
    assert rules_table() == SNAP["rules"]


def test_emergency_categories_are_unchanged():
    from assistant.safety.rules import EMERGENCY_CATEGORIES

    assert list(EMERGENCY_CATEGORIES) == SNAP["emergency_categories"]


@pytest.mark.parametrize("check", ["rules", "forbidden", "filler", "wrong_class", "topics"])
def test_what_the_checks_decide_is_unchanged(check):
    differ = [(text, want.get(check, []), got) for text, want in SNAP["outputs"].items()
              if (got := outputs(text)[check]) != want.get(check, [])]
    assert not differ, f"{len(differ)} of {len(SNAP['outputs'])} texts differ, e.g. {differ[:5]}"
