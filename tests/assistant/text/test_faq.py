"""The starter questions: a typed or clicked question gets its curated answer, filled for the locale."""

from __future__ import annotations

from assistant.text.faq import faq_answer


def test_starter_answers_are_filled() -> None:
    answer = faq_answer("What images work best?", max_image_mb=7)
    assert answer is not None and "up to 7 MB" in answer and "{" not in answer
    assert "- **Urgent**: " in faq_answer("what do the urgency levels mean", max_image_mb=7)
    assert faq_answer("What images work best for a melanoma?", max_image_mb=7) is None
