"""What a failed Graph call raises: Graph's own error code and message, never a request or answer body."""

from __future__ import annotations


class GraphError(Exception):
    """A Graph call failed; ``call`` is the method and path template, ``status`` None when no answer came."""

    def __init__(self, call: str, status: int | None, code: str = "", message: str = "") -> None:
        self.call = call
        self.status = status
        self.code = code
        self.message = message
        super().__init__(self._describe())

    def _describe(self) -> str:
        answer = f"HTTP {self.status}" if self.status is not None else "no answer"
        detail = ": ".join(part for part in (self.code, self.message) if part)
        return f"Microsoft Graph {self.call} failed ({answer}){f': {detail}' if detail else ''}"


class GraphPermissionError(GraphError):
    """Graph refused the call (401/403); the text names the application permission the app needs."""

    def __init__(self, call: str, status: int | None, code: str = "", message: str = "", *, permission: str) -> None:
        self.permission = permission
        super().__init__(call, status, code, message)

    def _describe(self) -> str:
        return (
            f"{super()._describe()}. The app registration needs the Microsoft Graph application permission "
            f"{self.permission} with admin consent"
        )


class GraphNotFound(GraphError):
    """Graph answered 404: what the call names does not exist (any more)."""


class GraphConflict(GraphError):
    """Graph answered 409: what the call would create exists already."""
