"""tools.text: how t() words a message: named placeholders, numbers through Babel, nested messages, fallbacks."""

from __future__ import annotations

import random

import pytest

from tools.text import Message, fill, has, msg, render, t


def test_named_placeholders_are_filled() -> None:
    assert t("chat.result_heading", number=3) == "**Image 3: screening result**"


def test_a_missing_parameter_or_id_is_a_bug() -> None:
    with pytest.raises(KeyError):
        t("chat.result_heading")
    with pytest.raises(KeyError):
        t("chat.no_such_message")


def test_percent_rounds_as_python_did() -> None:
    """The sentences must not change: Babel's percent gives what "{:.0%}" gave, halves included."""
    rng = random.Random(19)
    values = [i / 1000 for i in range(1001)] + [round(rng.random(), 6) for _ in range(2000)]
    assert [fill("{p:percent}", p=v) for v in values] == [f"{v:.0%}" for v in values]


def test_number_patterns_round_as_python_did() -> None:
    values = [n / 1_000_000 for n in (12_350_000, 2_150_000, 50_000_000, 1)] + [0.05, 1.25, 2.35]
    assert [fill("{x:0.#}", x=v) for v in values] == [f"{v:.1f}".removesuffix(".0") for v in values]
    assert fill("{s:0.0}", s=1.25) == "1.2" and fill("{s:0.0}", s=3.0) == "3.0"


@pytest.mark.parametrize(("size", "text"), [
    (0, "0 bytes"), (1023, "1023 bytes"), (1024, "1 KB"), (1536, "1.5 KB"),
    (10 * 1024 * 1024, "10 MB"), (11 * 1024 * 1024 + 100_000, "11.1 MB"),
])
def test_file_sizes_pick_their_unit(size: int, text: str) -> None:
    assert fill("{n:filesize}", n=size) == text


def test_numbers_follow_the_locale() -> None:
    assert fill("{p:percent}", "de", p=0.23) == "23\xa0%"
    assert fill("{x:0.#}", "de", x=1.5) == "1,5"


def test_a_locale_reads_english_for_the_words_it_lacks_with_its_own_numbers() -> None:
    assert t("chat.tool_done", "de", seconds=1.5) == "Foto in 1,5 s geprüft"
    assert t("chat.tool_done", "nl", seconds=1.5) == "Photo checked in 1,5 s", "no catalogue at all: English words"
    assert has("reply.emergency", "de") and not has("reply.emergency", "nl")


def test_a_language_code_is_named_in_the_locale() -> None:
    assert fill("{x:language}", x="nl") == "Dutch" and fill("{x:language}", "de", x="nl") == "Niederländisch"
    assert fill("{x:language}", x="not a code") == "not a code"


def test_messages_nest_and_render() -> None:
    inner = msg("units.megabytes", n=2.5)
    assert render(msg("chat.upload_error", name="a.png", message=inner)) == "**I couldn't use “a.png”.** 2.5 MB"
    assert Message.model_validate(inner.model_dump()) == inner


def test_escaped_braces_stay_literal() -> None:
    assert fill('Send {{"text": "{x}"}}.', x="hi") == 'Send {"text": "hi"}.'


def test_lists_are_joined_for_the_locale() -> None:
    assert fill("{x:list}", x=["Melanoma"]) == "Melanoma"
    assert fill("{x:list}", x=["Melanoma", "Dermatofibroma"]) == "Melanoma and Dermatofibroma"
    assert fill("{x:list}", x=["A", "B", "C"]) == "A, B and C", "British English, as the standard texts write"
    assert fill("{x:list}", "de", x=["A", "B"]) == "A und B"
    assert fill("{x:list-unit}", x=["A 3%", "B 1%", "C 1%"]) == "A 3%, B 1%, C 1%"
    assert fill("{x:list-unit}", "de", x=["A", "B", "C"]) == "A, B, C", "Babel lacks German's, CLDR's root has it"
