"""Every translated text a patient can read passes the same output checks as the English, in its own
language: the standard reports of every class, the curated answers, the starter answers and the fixed
replies. A translation that names a medicine, promises harmlessness or slips into English is caught here."""

from __future__ import annotations

import pytest

from assistant.conversation.curated import curated_answer
from assistant.conversation.context import FollowupContext
from assistant.safety.rules import EMERGENCY_CATEGORIES
from assistant.safety.replies import fixed_reply, reply_text
from assistant.safety.verdict import Route, Verdict
from assistant.text.locale import LOCALES
from assistant.report.standard import standard_report
from assistant.safety.output_checks import OutputContext, check_output, find_language
from assistant.safety.forbidden import find_forbidden
from assistant.text.faq import faq_answer, faqs
from tests.assistant.factories import classification
from tools.catalogue import catalogue

QUESTIONS = ["what does 62% mean?", "how soon should I see a doctor?", "what are the warning signs?",
             "should I worry?", "how can I protect my skin from the sun?", "compare image 1 and image 2",
             "what is a dermatofibroma?", "thanks", "what happens at the dermatologist?"]


def problems(text: str, locale: str) -> list[str]:
    """The checks a model's answer gets, less the echo of the model's instructions (these texts are the app's)."""
    return [f"{v.kind}: {v.text!r}" for v in check_output(text, OutputContext(language=locale, phones=True))]


def report_problems(body: str, locale: str) -> list[str]:
    """A standard section carries the result's figures in its lead line: what matters is what it says."""
    return [f"{v.kind}: {v.text!r}" for v in find_forbidden(body) + find_language(body, locale)]


@pytest.mark.parametrize("locale", LOCALES)
def test_standard_reports_pass_in_every_locale(locale: str) -> None:
    found = {}
    for c in catalogue().classes:
        for escalated in (False, True):
            result = classification(c.label, 0.45 if escalated else 0.9)
            report = standard_report(result, locale=locale)
            assert [s.number for s in report.sections] == list(range(1, 10))
            for s in report.sections:
                if bad := report_problems(s.body, locale):
                    found[(c.dx, s.number)] = bad
    assert not found


@pytest.mark.parametrize("locale", LOCALES)
def test_curated_and_starter_answers_pass_in_every_locale(locale: str) -> None:
    results = [classification("melanocytic_nevi", 0.81, runner_up="melanoma"), classification("melanoma", 0.62)]
    context = FollowupContext(results=results, reports=[None, None], history=[], max_image_mb=10)
    found = {q: bad for q in QUESTIONS if (bad := problems(curated_answer(q, context, locale), locale))}
    for f in faqs(locale):
        if bad := problems(faq_answer(f.questions[0], max_image_mb=10, locale=locale) or "", locale):
            found[f.id] = bad
    assert not found


@pytest.mark.parametrize("locale", LOCALES)
def test_fixed_replies_pass_in_every_locale(locale: str) -> None:
    texts = [reply_text(k, locale, max_mb=10) for k in ("decline_diagnosis", "decline_prescription",
                                                         "decline_jailbreak", "off_topic", "no_image", "keep_appointment")]
    texts += [fixed_reply(Verdict(route=Route.EMERGENCY, category=c, language=locale)) or "" for c in EMERGENCY_CATEGORIES]
    found = {text[:60]: bad for text in texts if (bad := problems(text, locale))}
    assert not found
