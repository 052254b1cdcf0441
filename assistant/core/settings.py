"""The one place configuration is read: environment variables (and an optional .env file).

The seed's variable names (MODEL_A_PATH, MODEL_B_PATH, MODEL_NAME, NUM_CLASSES, DEVICE,
LM_STUDIO_ENDPOINT, LM_STUDIO_MODEL, LOG_LEVEL) keep working unchanged.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from tools.manifest import BackendChoice, PrecisionChoice

_PACKAGE_DIR = Path(__file__).resolve().parents[1]  # assistant/
# The files the app reads at run time (prompts/, public/, .chainlit/, chainlit.md, weights/), all found
# from here. A checkout or editable install: the project root. A plain `pip install .`: the copies shipped
# as package data in assistant/resources/ (pyproject's [tool.setuptools.package-data]).
PROJECT_ROOT = _PACKAGE_DIR / "resources" if (_PACKAGE_DIR / "resources").is_dir() else _PACKAGE_DIR.parent
APP_FILE = _PACKAGE_DIR / "edges" / "chat" / "app.py"  # what `ham10k serve` hands to `chainlit run`


def _xdg(variable: str, fallback: str) -> Path:
    base = os.environ.get(variable) or str(Path.home() / fallback)
    return Path(base) / "ham10k-assistant"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", protected_namespaces=())

    # Weights and models
    weights_dir: Path = PROJECT_ROOT / "weights"
    profile: str = Field("auto", description="Ensemble profile from weights/manifest.json, or 'auto'.")
    model_a_path: Path | None = None
    model_b_path: Path | None = None
    model_name: str = "seresnext101_32x8d"
    num_classes: int = 7
    device: Literal["auto", "cpu", "cuda"] = "auto"
    inference_precision: PrecisionChoice = Field(
        "auto", description="'auto': the profile's declared precision (bf16 only where measured to hold and the "
        "hardware has bf16 units); 'bf16' forces the faster path, e.g. for the seed's weights once checked.")
    inference_backend: BackendChoice = Field(
        "auto", description="Where the members' bodies run: 'auto' follows the profile's declared backend (OpenVINO "
        "for the manifest's profiles: fp32, same outputs, faster on a CPU; PyTorch for the seed pair), PyTorch on "
        "a GPU or in bf16; 'torch' or 'openvino' to force one.")
    batch_window_ms: float | None = Field(None, ge=0, description="How long an analysis waits for other chats' photos to "
                                          "share its forward pass; unset: the backend's measured default (tools/batching.py).")
    batch_max_images: int | None = Field(None, ge=1, description="Most analyses in one forward pass: bounds the activations "
                                         "held at once (memory); unset: the backend's measured default (1 with OpenVINO, "
                                         "4 with PyTorch).")
    hf_repo: str = "huseyincavus/ham10k_platform"

    # Image intake limits
    max_image_bytes: int = 10 * 1024 * 1024
    max_image_pixels: int = 50_000_000
    min_image_side: int = 32

    # LLM (any OpenAI-compatible server)
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str = "not-needed"
    lm_studio_endpoint: str | None = None
    lm_studio_model: str | None = None
    # Sized for a 4B model on a CPU: the first token waits for the whole prompt (and photo) to be read.
    llm_connect_timeout_s: float = 5.0
    llm_first_token_timeout_s: float = 90.0
    llm_stall_timeout_s: float = 30.0
    llm_total_timeout_s: float = 180.0
    llm_max_tokens: int = Field(1200, description="Nine sections of ~400 words need ~700 tokens; headroom for verbosity.")
    llm_temperature: float = 0.2
    llm_send_image: bool = Field(False, description="Send the photo to a multimodal model (e.g. MedGemma 4B).")
    llm_probe_cache_s: float = Field(30.0, description="How long a reachability / model-list check is reused.")

    # Chat server (`ham10k serve`)
    host: str = Field("127.0.0.1", description="Interface the chat server listens on; 0.0.0.0 for all.")
    port: int = 8000
    allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Exact origins (scheme://host:port) of pages that embed the chat widget, comma-separated. "
        "Empty: .chainlit/config.toml's list. Never '*': browsers refuse it for the widget's credentialed requests.",
    )
    chat_history_messages: int = Field(
        6, ge=2, description="Recent chat messages a conversation keeps, and a follow-up's prompt sees: enough for "
        "'and the other one?', small for a 4B model's context.")
    show_heatmap: bool = Field(True, description="Show a Grad-CAM heat-map of the top class beside each result card.")
    chat_max_images: int = Field(10, ge=1, description="Photos one conversation may hold ('image N' never changes).")
    chat_max_files_per_message: int = Field(1, ge=1, description="Files one chat message may carry.")

    # Access control (off by default: no login, as before)
    widget_tokens: bool = Field(False, description="Widget needs an accessToken JWT signed with CHAINLIT_AUTH_SECRET.")
    staff_auth_header: str | None = Field(None, description="Trusted header (e.g. X-Forwarded-User) set by the "
                                          "clinic's SSO proxy; logs staff into the full app.")

    # Integrator API (/api/v1/* and the seed's /predict, /interpret, /analyze)
    api_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Comma-separated API keys (header X-API-Key or Authorization: Bearer). "
        "Empty: no key needed.")
    api_rate_limit: int = Field(0, ge=0, description="Requests per minute per API key (per client IP without keys), "
                                "as a token bucket; 0: no limit.")
    api_queue_limit: int = Field(8, ge=0, description="Classifier calls from the API that may wait behind the one "
                                 "running; more get 503 with Retry-After.")
    status_check_s: float = Field(30.0, gt=0, description="How often /health and /ready refresh their cached LLM check.")

    # Clinic hand-off and the case database (assistant/clinic/)
    clinic_handoff: bool = Field(False, description="'on': after a report, offer to send it to the clinic with "
                                 "the patient's consent, and store the case.")
    data_dir: Path = Field(default_factory=lambda: _xdg("XDG_DATA_HOME", ".local/share"),
                           description="The app's data folder: the default case database lives here.")
    database_url: str | None = Field(None, description="SQLAlchemy URL of the case database, e.g. "
                                     "postgresql+psycopg://user@host/db for several replicas. Unset: a SQLite file "
                                     "in DATA_DIR.")
    case_retention_days: int = Field(30, ge=1, description="Cases older than this are erased with their images.")
    staff_api_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Comma-separated staff keys for /api/v1/cases and the /staff page; never "
        "the patients' API_KEYS. Empty: no staff access at all.")
    staff_session_minutes: int = Field(60, ge=1, description="How long a /staff login lasts.")
    staff_locale: str = Field("en", description="The language of the labels on the /staff page.")

    log_level: str = "INFO"
    files_dir: Path | None = Field(None, description="Where Chainlit keeps the uploads of live chat sessions. Unset: a "
                                   "private temporary folder per process, so replicas never share (or delete) one.")
    log_format: Literal["text", "json"] = Field("text", description="'json': one JSON object per log line.")

    @property
    def case_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'cases.sqlite3'}"

    @property
    def max_image_mb(self) -> int:
        """The upload limit as told to people, in whole MB."""
        return self.max_image_bytes // (1024 * 1024)

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [o.strip().rstrip("/") for o in value.split(",") if o.strip()]
        return value

    @field_validator("api_keys", "staff_api_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        if isinstance(value, str):
            return [k.strip() for k in value.split(",") if k.strip()]
        return value


@cache
def get_settings() -> Settings:
    return Settings()
