"""Writing a whole file at once: the one way goldset replaces a file that is not a store's
manifest (a ``.dvc`` record, reports, caches, a suite)."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path


def write_atomic(path: Path, data: bytes | str, mode: int = 0o666) -> None:
    """Replace ``path`` with ``data`` all at once: a temp file of this call's own (two writers
    never share one) in the same directory, fsynced, then renamed over ``path``; removed if
    anything fails before the rename. A reader sees the old file or the new one, never part of
    either. The temp file is made with ``mode`` less the process's umask, like any file goldset
    writes (0o600 for a secret: never readable by others, not even for an instant)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        with open(fd, "wb") as f:
            f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise


def file_md5(path: Path) -> str:
    """MD5 of a file's bytes, read in 1 MiB blocks: how DVC names a file in its cache (so a
    file can be compared with what a ``.dvc`` directory listing records)."""
    import hashlib

    h = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()
