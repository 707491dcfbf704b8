"""Read one manifest file with ruamel.yaml, keeping the line and column of every field.

The common case (a valid file) is parsed with the C-backed safe loader; the round-trip loader,
which knows where every field stands but is several times slower, runs only when a problem has
to be located or the fast parse failed (its errors are the ones reported)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from hotpass.manifests.problems import FieldPath, Location, Problem

Positions = dict[FieldPath, Location]


@dataclass
class RawManifest:
    """A manifest document as plain data plus where each field stands in which file (worked
    out on first use)."""

    path: Path
    data: dict[str, Any]
    find_positions: Callable[[], Positions] = field(repr=False, default=dict)
    _positions: Positions | None = field(default=None, init=False, repr=False)

    @property
    def positions(self) -> Positions:
        if self._positions is None:
            self._positions = self.find_positions()
        return self._positions

    def locate(self, path: FieldPath) -> Location:
        """The position of `path`, or of its closest located ancestor."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.positions:
                return self.positions[path[:end]]
        return Location(self.path)


class ManifestReadError(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def read_manifest(path: Path) -> RawManifest:
    """Parse `path`; raise ManifestReadError for syntax errors, duplicate keys, empty files and
    documents that are not a mapping."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problem = Problem(Location(path), "", f"cannot read the file: {exc}")
        raise ManifestReadError(problem) from exc
    fast = YAML(typ="safe", pure=False)
    fast.allow_duplicate_keys = False
    try:
        document = fast.load(text)
    except YAMLError:
        document = None
    if not isinstance(document, dict):  # empty, not a mapping or not YAML: say exactly where
        return _read_located(path, text)
    return RawManifest(path=path, data=_plain(document),
                       find_positions=lambda: _read_located(path, text).positions)


def _read_located(path: Path, text: str) -> RawManifest:
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        document = yaml.load(text)
    except MarkedYAMLError as exc:
        raise ManifestReadError(_yaml_problem(path, exc)) from exc
    except YAMLError as exc:
        raise ManifestReadError(Problem(Location(path), "", f"invalid YAML: {exc}")) from exc
    if document is None:
        raise ManifestReadError(Problem(Location(path), "", "the file is empty "
                                        "(expected a mapping with id, name and flow)"))
    if not isinstance(document, CommentedMap):
        kind = {"CommentedSeq": "list"}.get(type(document).__name__, "single value")
        raise ManifestReadError(Problem(_node_location(path, document), "",
                                        f"the document is a {kind}, expected a mapping of fields"))
    positions: Positions = {(): Location(path, 1, 1)}
    _collect_positions(path, document, (), positions)
    return RawManifest(path=path, data=_plain(document), find_positions=lambda: positions)


def _yaml_problem(path: Path, exc: MarkedYAMLError) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    location = Location(path, mark.line + 1, mark.column + 1) if mark else Location(path)
    what = " ".join(part for part in (exc.context, exc.problem) if part)
    duplicate = re.search(r'duplicate key "([^"]*)"', what)
    if duplicate:
        what = f'duplicate key "{duplicate.group(1)}" (expected each field once)'
    return Problem(location, "", f"invalid YAML: {what}")


def _node_location(path: Path, node: Any) -> Location:
    lc = getattr(node, "lc", None)
    if lc is None or lc.line is None:
        return Location(path)
    return Location(path, lc.line + 1, lc.col + 1)


def _collect_positions(path: Path, node: Any, prefix: FieldPath,
                       positions: dict[FieldPath, Location]) -> None:
    if isinstance(node, CommentedMap):
        for key, value in node.items():
            line, col = node.lc.key(key)
            positions[(*prefix, str(key))] = Location(path, line + 1, col + 1)
            _collect_positions(path, value, (*prefix, str(key)), positions)
    elif isinstance(node, CommentedSeq):
        for index, value in enumerate(node):
            line, col = node.lc.item(index)
            positions[(*prefix, index)] = Location(path, line + 1, col + 1)
            _collect_positions(path, value, (*prefix, index), positions)


def _plain(node: Any) -> Any:
    """ruamel's loaded types (round-trip or safe) → plain dict / list / scalars."""
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, bool) or node is None:
        return node
    for plain_type in (int, float, str):
        if isinstance(node, plain_type):
            return plain_type(node)
    return node
