"""The classifier as a LangChain tool: upload bytes in, a ClassificationResult out.

Wrapping intake + Ensemble.aclassify in a `StructuredTool` gives the chat (and any agent built later)
one typed, named, described entry point. Decoding and inference both run off the event loop. A bad
upload raises `IntakeError` unchanged, so callers can show its message as is.
"""

from __future__ import annotations

import asyncio

from langchain_core.tools import StructuredTool
from pydantic import BaseModel, Field

from tools.catalogue import catalogue
from tools.classifier import Ensemble
from tools.intake import IntakeLimits, load_image
from tools.result import ClassificationResult
from tools.saliency import heatmap_png

TOOL_NAME = "classify_skin_lesion"
HEATMAP_TOOL_NAME = "explain_skin_lesion"


class LesionImage(BaseModel):
    image: bytes = Field(description="The uploaded file's bytes; its type is read from the bytes themselves.")
    tta: bool = Field(True, description="Average the manifest's test-time views (flips) for a steadier result.")


def make_lesion_tool(ensemble: Ensemble, limits: IntakeLimits) -> StructuredTool:
    async def classify(image: bytes, tta: bool = True) -> ClassificationResult:
        # Decoding a large photo takes long enough to stall other chats if done on the loop.
        checked = await asyncio.to_thread(load_image, image, limits)
        return await ensemble.aclassify(checked, tta=tta)

    return StructuredTool.from_function(
        coroutine=classify,
        name=TOOL_NAME,
        description=(
            "Screen a dermatoscopic photo of one skin spot: the closest of the 7 HAM10000 classes with calibrated "
            "probabilities, an urgency tier with its action and reason, and an out-of-distribution verdict."
        ),
        args_schema=LesionImage,
    )


class HeatmapRequest(BaseModel):
    image: bytes = Field(description="The same upload the classifier looked at.")
    label: str = Field(description="The class whose evidence to show (normally the result's top label).")


def make_heatmap_tool(ensemble: Ensemble, limits: IntakeLimits) -> StructuredTool:
    async def explain(image: bytes, label: str) -> bytes:
        checked = await asyncio.to_thread(load_image, image, limits)
        index = catalogue().labels.index(label)
        return await ensemble.on_worker(heatmap_png, ensemble, checked.image, index)

    return StructuredTool.from_function(
        coroutine=explain,
        name=HEATMAP_TOOL_NAME,
        description="A Grad-CAM overlay (PNG) of where in the photo the classifier found evidence for one class.",
        args_schema=HeatmapRequest,
    )
