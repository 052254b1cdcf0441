"""The input rails: every chat message goes through `check_message` before any LLM sees it. First the
deterministic rules (assistant/safety/rules.py), then, when they let it through, the semantic layer
(assistant/safety/intents.py): a message's sentences by their nearest labelled exemplars. Without the
sentence model the rules run alone."""

from __future__ import annotations

from assistant.safety.intents import CRISIS, MIN_WORDS, Intent, IntentRouter, get_router
from assistant.safety.rules import check_rules
from assistant.safety.verdict import Route, Verdict
from assistant.text.lexicon import without

# What each semantic intent means for the reply (route, audit category).
_INTENT_ROUTES: dict[Intent, tuple[Route, str]] = {
    Intent.EMERGENCY: (Route.EMERGENCY, "emergency"),
    Intent.SELF_HARM: (Route.SELF_HARM, "self_harm"),
    Intent.DIAGNOSIS: (Route.DECLINE, "diagnosis"),
    Intent.TREATMENT: (Route.DECLINE, "prescription"),
    Intent.OVERRIDE: (Route.DECLINE, "jailbreak"),
    Intent.OFF_TOPIC: (Route.OFF_TOPIC, "off_topic"),
}


_USE_LOADED = object()  # check_message's default: the process's router (intents.get_router())


def check_message(text: str, router: IntentRouter | None | object = _USE_LOADED, *, locale: str | None = None) -> Verdict:
    """Route one user message: the rules, then (when they let it through) the semantic layer.
    `router=None` runs the rules alone. `locale`: the conversation's, the language of the reply (else the
    message's own, as the rules guess it)."""
    verdict = _route(text, router)
    return verdict if locale is None else verdict.model_copy(update={"language": locale})


def _route(text: str, router: IntentRouter | None | object) -> Verdict:
    verdict = check_rules(text)
    if verdict.route in (Route.EMERGENCY, Route.SELF_HARM):
        return verdict
    active = get_router() if router is _USE_LOADED else router
    if not isinstance(active, IntentRouter) or len(text.split()) < MIN_WORDS:
        return verdict
    ruled = verdict.layer == "rules"
    intent = _semantic(text, active, ruled=ruled)
    # "Estou só a matar tempo": an idiom's crisis word may pull a sentence towards a crisis. Read without it,
    # the message may lose the alarm; never gain one (cut, "I'm dying to know ..." read oddly as one).
    if intent in CRISIS and (calm := without("harmless_idiom", text)) != text:
        second = _semantic(calm, active, ruled=ruled) if len(calm.split()) >= MIN_WORDS else None
        if second not in CRISIS:
            intent = second
    if intent is None or intent is Intent.IN_SCOPE:
        return verdict
    route, category = _INTENT_ROUTES[intent]
    return Verdict(route=route, category=category, language=verdict.language, layer="semantic")


def _semantic(text: str, active: IntentRouter, *, ruled: bool) -> Intent | None:
    """The sentence model's intent for `text`; after a rule has decided (`ruled`), only a clear crisis."""
    # A crisis may hide in one sentence of a longer message ("is this cancer? I already wrote goodbye
    # letters"): each sentence gets the strict crisis check too.
    scored = active.message_scores([text])[0]
    whole = active.decide(scored[0])
    crisis = next((i for scores in scored if (i := active.second_look(scores))), None)
    if ruled:  # a rule decided (decline, redirect, keep your appointment): only a clear crisis outranks it
        return crisis
    return whole if whole in CRISIS else crisis or whole
