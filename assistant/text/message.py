"""What a decider returns instead of prose: a message id from the catalogue and its parameters."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class Message(BaseModel):
    """`params` may hold other Messages; they are worded in the same locale (e.g. a size inside a sentence)."""

    model_config = ConfigDict(frozen=True)
    id: str
    params: dict[str, Any] = {}


def msg(message_id: str, **params: Any) -> Message:
    return Message(id=message_id, params=params)


def term(family: str, code: str, **params: Any) -> Message:
    """The words for one value of an enumeration the deciders name by code (a file kind, a tier, a fixed
    reply): id `<family>.<code>`. The catalogue test checks each family against the codes it can take."""
    return Message(id=f"{family}.{code}", params=params)
