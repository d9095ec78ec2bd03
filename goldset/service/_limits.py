"""A cap on every request body, enforced before anything reads it (routing, the login check,
form parsing for the CSRF check): an anonymous client cannot make the server hold or spool an
unbounded body. The upload routes (an import, a run) may carry up to the server's
``--max-upload-mb``; every other request :data:`MAX_BODY`. A declared ``Content-Length`` over
the cap is refused at once; a chunked body is counted as it streams and cut off at the cap.
Either way: 413, the usual error shape, nothing written."""

from __future__ import annotations

import json
import re
from typing import Any

#: Largest body of any request but an upload (bulk adds, forms).
MAX_BODY = 16 * 1024 * 1024
_IMPORT = re.compile(r"^/api/v1/datasets/[^/]+/(import|runs)$")


class BodyLimit:
    """Pure ASGI middleware (it must see the body before Starlette does)."""

    def __init__(self, app: Any, upload_limit: int) -> None:
        self.app = app
        self.upload_limit = upload_limit

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        limit = max(self.upload_limit, MAX_BODY) if _IMPORT.match(path) else MAX_BODY
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _refuse(send, path, limit)
            return
        seen = 0
        started = refused = False

        async def counted() -> dict[str, Any]:
            # Over the cap: answer 413 ourselves, then tell the app the client has gone (a
            # raised error would reach FastAPI's body parsing, which turns it into a 400).
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message: dict[str, Any] = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    refused = True
                    if not started:
                        await _refuse(send, path, limit)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: dict[str, Any]) -> None:
            nonlocal started
            if refused:
                return  # the 413 is the answer
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, guarded_send)
        except Exception:
            if not refused:
                raise  # a real error; one after the refusal is only the app seeing the cut-off body


async def _refuse(send: Any, path: str, limit: int) -> None:
    message = f"the request body is over the limit of {limit // (1024 * 1024)} MB; nothing was written"
    body = json.dumps({"error": {"type": "BodyTooLarge", "message": message, "problems": []}}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
