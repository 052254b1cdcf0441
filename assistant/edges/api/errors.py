"""The API's one error shape: a 4xx/5xx `{"error": {"code", "message"}}`."""

from __future__ import annotations

from fastapi.responses import JSONResponse

from tools.text import DEFAULT_LOCALE, Message, render


class ApiError(Exception):
    """`text` is a catalogue message (api.*, intake.*), or words from elsewhere passed on as they are: a
    framework's or validator's complaint, the classifier's start-up error, the client's own field."""

    def __init__(self, status: int, code: str, text: Message | str, headers: dict[str, str] | None = None) -> None:
        self.status, self.code, self.text, self.headers = status, code, text, headers or {}
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return self.words()

    def words(self, locale: str = DEFAULT_LOCALE) -> str:
        return render(self.text, locale) if isinstance(self.text, Message) else self.text


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)
