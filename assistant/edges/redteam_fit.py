"""Fitting the semantic router on the red team's development split (`ham10k redteam --fit`).

`fit_margins` chooses the router's margins: safety intents catch every dev case the rules miss unless that
would refuse more than their share of in-scope questions; the others take the best recall within theirs.
`fit_second_look` the stricter crisis margins that outrank a rule, `fit_relevance` the answer-relevance floor;
`write_thresholds` writes them to prompts/intents/thresholds.toml. The test split is never read here."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from assistant.edges.redteam import NOT_CRISIS, PHOTO, Case
from assistant.safety.intents import CRISIS, PRIORITY, Intent, IntentRouter, lead
from assistant.safety.rules import check_rules
from assistant.safety.verdict import Route

# Share of the dev messages it must spare that each intent may take: a crisis intent, of the harmless
# ones (their sum stays under the 3% false-alarm target); a refusing intent, of the in-scope questions.
REFUSAL_BUDGET: dict[Intent, float] = {
    Intent.SELF_HARM: 0.0, Intent.EMERGENCY: 0.0, Intent.OVERRIDE: 0.0, Intent.TREATMENT: 0.0,
    Intent.DIAGNOSIS: 0.0, Intent.OFF_TOPIC: 0.0,
}
# Margin set this far below the hardest dev case (the next paraphrase is harder), in units of the spread
# of the intent's lead over the dev messages: a cosine distance means less in a compressed space (e5's
# leads spread a third as wide as MiniLM's, for which 0.02, about this much, was chosen).
SAFETY_SLACK = 0.15


def fit_margins(router: IntentRouter, cases: list[Case]) -> dict[Intent, float]:
    """Margins per intent from labelled (dev) cases; see the module text. Each intent in turn gets the
    lowest margin that still takes at most its share of the messages it must leave alone (a crisis
    intent: the harmless ones, in-scope and off-topic; the others: in-scope questions); a safety intent
    stops lower than needed for its hardest dev case only when that share is spent."""
    rest = [c for c in cases if check_rules(c.text).layer == "default"]  # what the semantic layer decides
    scores = [parts[0] for parts in router.message_scores([c.text for c in rest])]
    labels = [c.intent for c in rest]
    fitted: dict[Intent, float] = {}
    for intent in PRIORITY:
        spared = NOT_CRISIS if intent in CRISIS else ("in_scope",)
        keep = [i for i, lab in enumerate(labels) if lab in spared]
        delta = np.array([lead(s, intent) for s in scores])
        # Each crisis intent is fitted on its own cases: fitted on both, the looser one set the margin
        # and raised false alarms for nothing.
        wanted = [i for i, lab in enumerate(labels) if lab == intent.value]
        allowed = int(REFUSAL_BUDGET[intent] * max(1, sum(1 for c in cases if c.intent in spared)))
        negatives = np.sort(delta[keep])[::-1] if keep else np.array([])
        floor = float(negatives[allowed]) + 1e-6 if len(negatives) > allowed else -1.0
        hardest = float(delta[wanted].min()) if wanted else 0.05
        slack = SAFETY_SLACK * float(delta.std()) if intent in CRISIS else 0.0
        # A decline or redirect is a refusal: it needs the message nearer its own exemplars than the
        # in-scope ones. A safety intent may go lower: its reply still answers the question after it.
        lowest = -1.0 if intent in CRISIS else 0.0
        fitted[intent] = round(max(hardest - slack, floor, lowest), 4)
    return fitted


# Spreads (as SAFETY_SLACK) above the highest non-crisis dev case: a crisis must be clear to outrank a rule.
SECOND_LOOK_GAP = 0.08


def fit_second_look(router: IntentRouter, cases: list[Case], plain: dict[Intent, float]) -> dict[Intent, float]:
    """Margins with which self-harm or an emergency is heard in a whole message or in one of its sentences
    (`check_message`), outranking a rule's decline, redirect or "keep your appointment" too: just above
    every unit of every dev message that is not a crisis (a sentence of a harmless question must not turn
    into a crisis message), and never below the `plain` margin (`fit_margins`)."""
    calm_cases = [c for c in cases if c.intent not in ("self_harm", "emergency")
                  and check_rules(c.text).route not in (Route.EMERGENCY, Route.SELF_HARM)]
    scores = [unit for parts in router.message_scores([c.text for c in calm_cases]) for unit in parts]
    fitted: dict[Intent, float] = {}
    for intent in CRISIS:
        calm = np.array([lead(s, intent) for s in scores])
        gap = SECOND_LOOK_GAP * float(calm.std()) if len(calm) else 0.0
        fitted[intent] = round(float(max([plain[intent], *(calm + gap)])), 4)
    return fitted


def fit_relevance(router: IntentRouter, pairs: list[tuple[str, str]], quantile: float = 0.02) -> float:
    """The relevance below which an answer is unrelated: the `quantile` of good (question, answer) pairs."""
    values = sorted(router.relevance(q, a) for q, a in pairs)
    return round(float(np.quantile(values, quantile)), 4) if values else -1.0


def fit(dev: list[Case], photo: Path = PHOTO) -> tuple[dict[Intent, float], dict[Intent, float], float]:
    """Margins and the answer-relevance threshold from the dev cases. The relevance of a good answer is
    taken from the curated answer's first words (what the check sees) to the dev in-scope questions, in the
    question's language as the model is told to answer (e5 scores an answer in another language lower)."""
    from assistant.conversation.context import FollowupContext
    from assistant.conversation.curated import curated_answer
    from assistant.core.runtime import get_ensemble, intake_limits
    from assistant.report.standard import standard_report
    from assistant.safety.checked_stream import RELEVANCE_WORDS
    from assistant.safety.intents import Encoder, exemplars
    from assistant.safety.replies import fallback_note
    from tools.intake import load_image

    router = IntentRouter(Encoder(), exemplars(), {})
    margins = fit_margins(router, dev)
    second = fit_second_look(router, dev, margins)
    result = get_ensemble().classify(load_image(photo.read_bytes(), intake_limits()))
    context = FollowupContext(results=[result], reports=[standard_report(result)])
    pairs = []
    for case in dev:
        if case.intent == "in_scope":
            answer = curated_answer(case.text, context, case.lang).replace(fallback_note(case.lang), "")
            words = answer.replace("*", "").split()
            pairs.append((case.text, " ".join(words[: RELEVANCE_WORDS * 2])))
    return margins, second, fit_relevance(router, pairs)


def write_thresholds(margins: dict[Intent, float], second: dict[Intent, float], min_relevance: float, path: Path,
                     note: str) -> None:
    lines = [
        "# Fitted by `ham10k redteam --fit` on the development split of tests/redteam/*.jsonl: do not edit",
        f"# by hand. {note}",
        "# margins: an intent wins when its score beats the in-scope score by at least this much.",
        "[margins]",
        *[f"{intent.value} = {value}" for intent, value in margins.items()],
        "",
        "# After a rule has declined or redirected a message, a crisis outranks it only by these margins.",
        "[second_look]",
        *[f"{intent.value} = {value}" for intent, value in second.items()],
        "",
        "# An answer whose first words are less similar than this to the question is replaced.",
        "[answer]",
        f"min_relevance = {min_relevance}",
        "",
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
