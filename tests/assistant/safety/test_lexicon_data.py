"""The lexicon's words moved from Python tables into prompts/lexicon/*.toml without changing what the checks
decide: lexicon_snapshot.json (written by lexicon_snapshot.py before the move) holds the old patterns and what
`check_rules`, `find_forbidden`, `find_filler`, `find_wrong_class` and `topics` made of some 5,000 texts.

A pattern is either the same string as before, or (where a table's alternatives now come from several
language files, or a rule's alternatives were split into one pattern per language) the same alternatives in
another order or grouping. Those are used with `search` only, where the order of alternatives cannot change the
outcome; the patterns whose matches' positions count (the guarded red flags, the output checks) are unchanged."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from tests.assistant.safety.lexicon_snapshot import SNAPSHOT, compiled_patterns, outputs, rules_table

SNAP = json.loads(SNAPSHOT.read_text(encoding="utf-8"))

# Search-only patterns whose alternatives now come from several language files in the files' order.
REORDERED = {"rules._NEGATED", "topics._TOPIC_RE[percent]", "topics._TOPIC_RE[worry]", "topics._TOPIC_RE[self_check]",
             "topics._TOPIC_RE[visit]", "topics._TOPIC_RE[treatment]", "topics._TOPIC_RE[prevention]",
             "topics._CLASS_RE[melanocytic_nevi]", "topics._CLASS_RE[basal_cell_carcinoma]", "topics._DEFINITION"}
# Search-only word lists once written as several groups, `\b(?:a|b)\b|\b(?:c)\b`, now one, `\b(?:a|b|c)\b`.
REGROUPED_WORDS = {"rules._OFF_TOPIC_WEAK_RE[0]"}

_GROUP_PREFIX = re.compile(r"(?:\?(?::|!|=|<!|<=|P<\w+>))?")


def _groups(pattern: str, i: int = 0) -> tuple[list[str], int]:
    """The alternatives of the group that starts at `i` (up to its closing parenthesis), each in canonical form."""
    alternatives, current = [], ""
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            current, i = current + pattern[i : i + 2], i + 2
            continue
        if c == "[":
            j = i + 1 + (pattern[i + 1] == "^")
            j = pattern.index("]", j + 1 if pattern[j] == "]" else j)
            while pattern[j - 1] == "\\" and pattern[j - 2] != "\\":
                j = pattern.index("]", j + 1)
            current, i = current + pattern[i : j + 1], j + 1
            continue
        if c == "(":
            prefix = _GROUP_PREFIX.match(pattern, i + 1).group(0)  # type: ignore[union-attr]  # may be empty
            inner, i = _groups(pattern, i + 1 + len(prefix))
            current += "(" + prefix + "|".join(sorted(inner)) + ")"
            continue
        if c == ")":
            return [*alternatives, current], i + 1
        if c == "|":
            alternatives, current, i = [*alternatives, current], "", i + 1
            continue
        current, i = current + c, i + 1
    return [*alternatives, current], i


def canonical(pattern: str) -> list[str]:
    """The pattern's top-level alternatives, each with every group's alternatives sorted."""
    return sorted(_groups(pattern)[0])


def test_canonical_form_ignores_only_the_order_of_alternatives():
    assert canonical(r"\b(?:b|a)x|c") == canonical(r"c|\b(?:a|b)x")
    assert canonical(r"\b(?:ab|a)x") != canonical(r"\b(?:a|b)x")
    assert canonical(r"[|(]a|b") == [r"[|(]a", "b"]


def _words(pattern: str) -> set[str]:
    """The words of a pattern made of `\b(?:...)\b` word groups."""
    groups = _groups(pattern)[0]
    assert all(g.startswith(r"\b(?:") and g.endswith(r")\b") for g in groups), pattern
    return {w for g in groups for w in _groups(g[len(r"\b(?:") : -len(r")\b")])[0]}


def test_compiled_patterns_are_unchanged():
    now = compiled_patterns()
    assert set(now) == set(SNAP["patterns"])
    changed = {k for k, (pattern, flags) in SNAP["patterns"].items() if now[k] != [pattern, flags]}
    assert changed == REORDERED | REGROUPED_WORDS, sorted(changed ^ (REORDERED | REGROUPED_WORDS))
    for key in changed:
        (old, old_flags), (new, new_flags) = SNAP["patterns"][key], now[key]
        assert new_flags == old_flags, key
        if key in REGROUPED_WORDS:
            assert _words(new) == _words(old), key
        else:
            assert canonical(new) == canonical(old), key


def _blocks(rules: list[list]) -> list[tuple]:
    """Consecutive rules of the same route, category and kind, with the canonical alternatives of their
    patterns: within a block the order of the rules cannot change the verdict."""
    blocks: list[tuple] = []
    for route, category, patterns, guarded in rules:
        if len(patterns) == 1 and not guarded:
            head = (route, category, 1, guarded)
            alternatives = Counter(canonical(patterns[0]))
            if blocks and blocks[-1][0] == head:
                blocks[-1][1].update(alternatives)
            else:
                blocks.append((head, alternatives))
        elif guarded:  # the first pattern's matches' positions count: the same strings
            blocks.append(((route, category, len(patterns), guarded), tuple(patterns)))
        else:
            blocks.append(((route, category, len(patterns), guarded), tuple(map(tuple, map(canonical, patterns)))))
    return blocks


def test_input_rules_are_unchanged():
    now = rules_table()
    assert _blocks(now) == _blocks(SNAP["rules"])
    assert [r for r in now if r[3]] == [r for r in SNAP["rules"] if r[3]]  # guarded rules: identical strings


def test_emergency_categories_are_unchanged():
    from assistant.safety.rules import EMERGENCY_CATEGORIES

    assert list(EMERGENCY_CATEGORIES) == SNAP["emergency_categories"]


@pytest.mark.parametrize("check", ["rules", "forbidden", "filler", "wrong_class", "topics"])
def test_what_the_checks_decide_is_unchanged(check):
    differ = [(text, want.get(check, []), got) for text, want in SNAP["outputs"].items()
              if (got := outputs(text)[check]) != want.get(check, [])]
    assert not differ, f"{len(differ)} of {len(SNAP['outputs'])} texts differ, e.g. {differ[:5]}"
