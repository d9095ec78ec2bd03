"""Editing goldset.yaml in place: ruamel.yaml round-trip, comments and key order kept.

ruamel attaches a comment to the key *before* it: the lines between ``a: ...`` and ``b: ...``
belong to ``a``. So deleting a key naively deletes the comment that introduces the next key,
and appending a key puts it below the comment that closed the mapping. :func:`delete_key`
and :func:`append_key` move those comment lines to where a reader expects them.

The edited text is validated as a whole spec before it replaces the file (temp file in the
same directory, fsync, ``os.replace``), so goldset.yaml is never left invalid or half written.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from pathlib import Path
from typing import Any

from goldset.errors import BadInput, SpecError
from goldset.spec._model import Spec, check_aliases, parse_spec, yaml_error_line


def round_trip_yaml() -> Any:
    """ruamel.yaml in round-trip mode, set up the way goldset edits YAML it does not own (the
    spec, dvc.yaml): quotes, long lines and list indentation as the user wrote them."""
    from ruamel.yaml import YAML

    y = YAML()  # round-trip mode
    y.preserve_quotes = True
    y.width = 4096  # never re-wrap a user's long flow mappings
    y.indent(mapping=2, sequence=4, offset=2)
    return y


def _is_block(node: Any) -> bool:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    return isinstance(node, CommentedMap | CommentedSeq) and len(node) > 0 and not node.fa.flow_style()


def _tail_holder(container: Any, key: Any) -> tuple[Any, Any]:
    """The (container, key) whose comment slot holds the lines after ``container[key]``."""
    value = container[key]
    if _is_block(value):
        last = list(value)[-1] if isinstance(value, dict) else len(value) - 1
        return _tail_holder(value, last)
    return container, key


def _slot(container: Any) -> int:
    return 2 if isinstance(container, dict) else 0


def _get_token(container: Any, key: Any) -> Any:
    entry = container.ca.items.get(key)
    return entry[_slot(container)] if entry else None


def _set_token(container: Any, key: Any, token: Any) -> None:
    entry = container.ca.items.setdefault(key, [None, None, None, None])
    entry[_slot(container)] = token


def _take_following(container: Any, key: Any) -> str:
    """Cut the comment lines that follow ``container[key]`` (not its own inline comment)."""
    holder, hkey = _tail_holder(container, key)
    token = _get_token(holder, hkey)
    if token is None:
        return ""
    own, _, rest = token.value.partition("\n")
    token.value = own + "\n"
    return rest if rest.strip() else ""


def _give_following(container: Any, key: Any, text: str) -> None:
    from ruamel.yaml.error import CommentMark
    from ruamel.yaml.tokens import CommentToken

    if not text:
        return
    holder, hkey = _tail_holder(container, key)
    token = _get_token(holder, hkey)
    if token is None:
        _set_token(holder, hkey, CommentToken("\n" + text, CommentMark(0), None))
    else:
        token.value = (token.value if token.value.endswith("\n") else token.value + "\n") + text


def delete_key(mapping: Any, key: str) -> None:
    """Delete ``key``; comment lines that introduced the next key stay where they were."""
    keys = list(mapping)
    i = keys.index(key)
    following = _take_following(mapping, key)
    del mapping[key]
    if not following:
        return
    if i > 0:
        _give_following(mapping, keys[i - 1], following)
        return
    from ruamel.yaml.error import CommentMark
    from ruamel.yaml.tokens import CommentToken

    # First key gone: the lines become the mapping's leading comment.
    if mapping.ca.comment is None:
        mapping.ca.comment = [None, []]
    if mapping.ca.comment[1] is None:
        mapping.ca.comment[1] = []
    col = getattr(mapping.lc, "col", None) or 0
    for line in following.splitlines():
        if line.strip():
            mapping.ca.comment[1].append(CommentToken(line.strip() + "\n", CommentMark(col), None))


def append_key(mapping: Any, key: str, value: Any) -> None:
    """Add ``key`` last; comment lines that closed the mapping stay after it."""
    keys = list(mapping)
    following = _take_following(mapping, keys[-1]) if keys else ""
    if not keys and mapping.fa.flow_style():
        mapping.fa.set_block_style()  # `scenarios: {}` becomes a block mapping
    mapping[key] = value
    _give_following(mapping, key, following)


def set_key(mapping: Any, key: str, value: Any) -> None:
    """Set ``key``: in place when present (its comments stay), else appended last."""
    if key in mapping:
        mapping[key] = value
    else:
        append_key(mapping, key, value)


def child_map(mapping: Any, key: str) -> Any:
    """The mapping under ``key``, made in ``mapping``'s style when absent or null."""
    if mapping.get(key) is None:
        set_key(mapping, key, new_map({}, like=mapping))
    return mapping[key]


def new_map(data: dict[str, Any], like: Any = None) -> Any:
    """A mapping for a new entry, in the style of its sibling ``like`` (flow when unsure)."""
    from ruamel.yaml.comments import CommentedMap

    m = CommentedMap()
    for k, v in data.items():
        m[k] = new_map(v) if isinstance(v, dict) else v
    if _is_block(like):
        m.fa.set_block_style()
    else:
        m.fa.set_flow_style()
    return m


class SpecDocument:
    """goldset.yaml loaded for editing. ``save()`` validates, then replaces the file atomically."""

    def __init__(self, path: Path) -> None:
        from ruamel.yaml.error import YAMLError

        self.path = path
        self.original = path.read_text(encoding="utf-8")
        self._yaml = round_trip_yaml()
        try:
            self.data = self._yaml.load(self.original)
        except YAMLError as exc:
            raise SpecError(f"{path}: invalid YAML at {yaml_error_line(exc)}") from None
        check_aliases(self.data, str(path))  # before any edit walks an alias bomb

    def dataset(self, name: str) -> Any:
        return self.data["datasets"][name]

    def section(self, dataset: str, key: str) -> Any:
        """The mapping (or list) under ``datasets.<dataset>.<key>``, created empty if absent."""
        from ruamel.yaml.comments import CommentedMap

        node = self.dataset(dataset)
        if node.get(key) is None:
            m = CommentedMap()
            if key in node:
                node[key] = m
            else:
                append_key(node, key, m)
        return node[key]

    def text(self) -> str:
        buf = io.StringIO()
        self._yaml.dump(self.data, buf)
        return buf.getvalue()

    def validate(self) -> tuple[str, Spec]:
        """The edited text and its spec. A spec the edit made invalid is BadInput."""
        from ruamel.yaml import YAML

        text = self.text()
        try:
            return text, parse_spec(YAML(typ="safe", pure=True).load(text), str(self.path))
        except SpecError as exc:
            raise BadInput(f"that change would make the spec invalid: {exc}; nothing written") from None

    def save(self) -> Spec:
        """Validate the edited spec, then replace the file atomically."""
        text, spec = self.validate()
        # Refuse to overwrite an edit someone made since we read the file (no lock spans
        # the read-modify-write of a text file the user may also be editing by hand).
        if self.path.read_text(encoding="utf-8") != self.original:
            raise BadInput(f"{self.path} changed while goldset was editing it; run the command again")
        # A temp file of our own (two processes never share one), in the same directory so
        # the rename is atomic; removed if anything fails before the rename.
        fd, name = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        tmp = Path(name)
        try:
            with open(fd, "w", encoding="utf-8") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
            with contextlib.suppress(OSError):  # keep the user's file mode
                os.chmod(tmp, self.path.stat().st_mode & 0o777)
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        with contextlib.suppress(OSError):  # the rename itself survives a crash
            dir_fd = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        return spec
