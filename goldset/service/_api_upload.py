"""The import route's upload: a ``multipart/form-data`` body whose field ``file`` is streamed,
chunk by chunk as it arrives, into a file in a private temporary directory, never held whole
in memory. Past the server's limit (``--max-upload-mb``) the upload stops with a 413 and the
partial file is deleted: nothing reaches the dataset.

A browser's form post authenticated by its session cookie has had its form parsed already,
by the CSRF check, which reads the ``csrf_token`` field (Starlette spools its file parts to
disk past 1 MB); then the parsed file is copied, with the same limit.

The import takes its options in the query string, so its body holds the file alone;
:func:`receive_form` also takes the short text fields a route names (a run's name, model and
parameters), each at most :data:`MAX_FIELD_BYTES`.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import AsyncIterator, Collection
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from fastapi import Request
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from goldset.errors import UsageError
from goldset.service._auth import CSRF_FIELD

#: The multipart field that holds the file.
FILE_FIELD = "file"
#: Bytes a multipart body may carry beyond the file: boundaries, part headers, the CSRF field.
FRAMING_ALLOWANCE = 64 * 1024
#: Largest text field (the CSRF token) and most parts a body may have.
MAX_FIELD_BYTES = 4096
MAX_PARTS = 4
#: Bytes copied at a time from a form Starlette parsed.
COPY_CHUNK = 1024 * 1024

#: The request body of the import route, for the OpenAPI schema (the route reads the stream
#: itself, so FastAPI cannot derive it).
UPLOAD_OPENAPI: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": [FILE_FIELD],
            "properties": {FILE_FIELD: {"type": "string", "format": "binary",
                                        "description": "a .jsonl, .csv or .parquet file (the name's suffix gives the format)"}},
        }}},
    },
    "responses": {"413": {"description": "the file is larger than the server accepts (goldset serve --max-upload-mb); nothing written"}},
}

_UNSAFE_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


def _too_large(limit: int) -> HTTPException:
    return HTTPException(413, f"the upload is larger than this server accepts ({limit / (1024 * 1024):g} MB: "
                              "goldset serve --max-upload-mb); nothing was written")


def safe_name(filename: str | None) -> str:
    """The client's file name, reduced to a plain name (its suffix tells the format): never a
    path. The import's audit note names it ("from examples.jsonl")."""
    base = PurePosixPath((filename or "").replace("\\", "/")).name
    name = _UNSAFE_CHARS.sub("_", base).lstrip(".")[-120:]
    return name or "upload"


@dataclass
class Received:
    """An uploaded file (in its own temporary directory: the caller removes ``path.parent``)
    and the text fields sent with it, each name's values in order."""

    path: Path
    fields: dict[str, list[str]] = field(default_factory=dict)


class _Upload:
    """The state of one streamed multipart body."""

    def __init__(self, directory: Path, limit: int, allowed: Collection[str] = (), max_parts: int = MAX_PARTS) -> None:
        self.directory, self.limit = directory, limit
        self.allowed, self.max_parts = allowed, max_parts
        self.fields: dict[str, list[str]] = {}
        self._value = bytearray()
        self.path: Path | None = None
        self.out: IO[bytes] | None = None
        self.size = 0
        self.parts = 0
        self.pending: list[bytes] = []
        self._headers: dict[bytes, bytes] = {}
        self._header_name = b""
        self._header_value = b""
        self._field: str | None = None
        self._in_file = False
        self._field_bytes = 0
        self.ended = False

    # python-multipart callbacks (synchronous; file data is written after each chunk, off the loop)
    def on_part_begin(self) -> None:
        self.parts += 1
        if self.parts > self.max_parts:
            raise UsageError(f"too many parts in the upload (at most {self.max_parts}): send the file in field {FILE_FIELD!r}")
        self._headers, self._field, self._in_file, self._field_bytes = {}, None, False, 0
        self._value = bytearray()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        self._headers[self._header_name.lower()] = self._header_value
        self._header_name, self._header_value = b"", b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = options.get(b"name", b"").decode("utf-8", "replace")
        if b"filename" in options:
            self.open_file(name, options[b"filename"].decode("utf-8", "replace"))
            self._in_file = True
        else:
            check_field(name, self.allowed)
            self._field = name

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._in_file:
            self.size += end - start
            if self.size <= self.limit:
                self.pending.append(data[start:end])
        else:
            self._field_bytes += end - start
            if self._field_bytes > MAX_FIELD_BYTES:
                raise UsageError(f"field {self._field!r} of the upload is longer than {MAX_FIELD_BYTES} bytes")
            if self._field in self.allowed:
                self._value += data[start:end]

    def on_part_end(self) -> None:
        if self._field is not None and self._field in self.allowed:
            self.add_field(self._field, self._value.decode("utf-8", "replace"))

    def add_field(self, name: str, value: str) -> None:
        self.fields.setdefault(name, []).append(value)

    def on_end(self) -> None:
        self.ended = True

    def open_file(self, field: str, filename: str) -> None:
        if field != FILE_FIELD:
            raise UsageError(f"the upload has a file in field {field!r}: send it in field {FILE_FIELD!r}")
        if self.path is not None:
            raise UsageError(f"the upload has several files: send one, in field {FILE_FIELD!r}")
        self.path = self.directory / safe_name(filename)
        self.out = open(self.path, "wb")  # noqa: SIM115  (closed by close())

    async def flush(self) -> None:
        if self.size > self.limit:
            raise _too_large(self.limit)
        if self.pending and self.out is not None:
            data, self.pending = b"".join(self.pending), []
            await run_in_threadpool(self.out.write, data)

    def close(self) -> None:
        if self.out is not None:
            self.out.close()

    def result(self) -> Path:
        if self.path is None:
            raise UsageError(f"no file in the upload: send it as multipart/form-data field {FILE_FIELD!r} "
                             "(curl -F file=@examples.jsonl)")
        return self.path


def check_field(name: str, allowed: Collection[str] = ()) -> None:
    if name == CSRF_FIELD or name in allowed:
        return
    if allowed:
        raise UsageError(f"the upload has a field {name!r}: send the file (field {FILE_FIELD!r}) "
                         f"and only the fields {', '.join(sorted(allowed))}")
    raise UsageError(f"the upload has a field {name!r}: send only the file (field {FILE_FIELD!r}); "
                     "options go in the query string (?on_duplicate=skip&dry_run=true)")


async def receive_upload(request: Request, limit: int) -> Path:
    """The uploaded file, in a new private temporary directory (the caller removes
    ``path.parent``). 413 past ``limit`` bytes of file, 400 for a body that is not one file
    in multipart field ``file``."""
    return (await receive_form(request, limit)).path


async def receive_form(request: Request, limit: int, fields: Collection[str] = (), max_parts: int = MAX_PARTS) -> Received:
    """:func:`receive_upload`, with the text fields named in ``fields`` (any other is a 400),
    in at most ``max_parts`` parts."""
    mime, params = parse_options_header(request.headers.get("content-type"))
    if mime != b"multipart/form-data" or not params.get(b"boundary"):
        raise UsageError(f"send the file as multipart/form-data, in field {FILE_FIELD!r} (curl -F file=@examples.jsonl)")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + FRAMING_ALLOWANCE:
        raise _too_large(limit)  # before reading a byte of it
    directory = Path(tempfile.mkdtemp(prefix="goldset-upload-"))
    upload = _Upload(directory, limit, frozenset(fields), max_parts)
    try:
        stream = request.stream()
        try:
            first = await anext(stream, b"")
        except RuntimeError:  # the CSRF check parsed the form already (a browser's form post)
            await _copy_parsed(request, upload)
        else:
            await _stream(stream, first, params[b"boundary"], upload)
        upload.close()
        return Received(upload.result(), upload.fields)
    except BaseException:
        upload.close()
        shutil.rmtree(directory, ignore_errors=True)
        raise


async def _stream(stream: AsyncIterator[bytes], first: bytes, boundary: bytes, upload: _Upload) -> None:
    parser = MultipartParser(boundary, {
        "on_part_begin": upload.on_part_begin, "on_header_field": upload.on_header_field,
        "on_header_value": upload.on_header_value, "on_header_end": upload.on_header_end,
        "on_headers_finished": upload.on_headers_finished, "on_part_data": upload.on_part_data,
        "on_part_end": upload.on_part_end, "on_end": upload.on_end,
    })
    try:
        chunk = first
        while True:
            if chunk:
                parser.write(chunk)
                await upload.flush()
            nxt = await anext(stream, None)
            if nxt is None:
                break
            chunk = nxt
        parser.finalize()
    except FormParserError:
        raise UsageError("the upload is not valid multipart/form-data") from None
    if not upload.ended:
        raise UsageError("the upload ended before its closing boundary: send it again")


async def _copy_parsed(request: Request, upload: _Upload) -> None:
    form = await request.form()
    for name, value in form.multi_items():
        if not isinstance(value, UploadFile):
            check_field(name, upload.allowed)
            if name in upload.allowed:
                if len(value.encode()) > MAX_FIELD_BYTES:
                    raise UsageError(f"field {name!r} of the upload is longer than {MAX_FIELD_BYTES} bytes")
                upload.add_field(name, value)
            continue
        upload.open_file(name, value.filename or "")
        while data := await value.read(COPY_CHUNK):
            upload.size += len(data)
            upload.pending.append(data)
            await upload.flush()
