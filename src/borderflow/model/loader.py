"""Load a scenario: read YAML -> validate the shape (pydantic) -> check the whole -> freeze."""

from __future__ import annotations

from importlib import resources
from pathlib import Path as FsPath
from typing import Any

from pydantic import ValidationError

from .checks import check
from .errors import Path, Problem, ScenarioError
from .messages import describe, problems_from
from .paths import PathError, named, path_keys
from .pruning import Pruned, prune
from .scenario import Scenario, Variant
from .tablefiles import WORKBOOK_SUFFIXES, read_folder, read_workbook
from .tables import from_tables
from .variants import variant_data
from .yamlio import Located, read_yaml, read_yaml_file

BUILTIN = "borderflow.scenarios"


def builtin_names() -> list[str]:
    root = resources.files(BUILTIN)
    return sorted(p.name.removesuffix(".yaml") for p in root.iterdir()
                  if p.name.endswith(".yaml"))


def builtin_path(name: str) -> FsPath:
    return FsPath(str(resources.files(BUILTIN).joinpath(f"{name}.yaml")))


def resolve(source: str | FsPath) -> FsPath:
    """A built-in scenario's name or a path to a file."""
    if isinstance(source, str) and "/" not in source and not source.endswith((".yaml", ".yml")) \
            and source in builtin_names():
        return builtin_path(source)
    path = FsPath(source)
    if not path.exists() and isinstance(source, str) and "/" not in source \
            and not source.endswith((".yaml", ".yml")):
        names = ", ".join(builtin_names())
        raise ScenarioError([Problem(source, 1, (), f"no such file or built-in scenario "
                                     f"(built-in: {names})")])
    return path


def load(source: str | FsPath) -> Scenario:
    """Load and validate a scenario from a built-in name, a YAML file, a folder of CSV tables
    or an Excel workbook (docs/tables.md)."""
    path = resolve(source)
    located, base_dir = read_any(path)
    return from_located(located, base_dir=base_dir)


def read_any(path: FsPath) -> tuple[Located, FsPath]:
    """A scenario's plain data, located, and the folder its CSV series are read from."""
    if path.is_dir():
        return from_tables(read_folder(path), str(path)), path
    if path.suffix.lower() in WORKBOOK_SUFFIXES:
        if not path.is_file():
            raise ScenarioError([Problem(str(path), 1, (), "no such file")])
        return from_tables(read_workbook(path), str(path)), path.parent
    return read_yaml_file(path), path.parent


def loads(text: str, file: str = "<string>", base_dir: FsPath | None = None) -> Scenario:
    """Load a scenario from YAML text (CSV series are read relative to `base_dir`)."""
    return from_located(read_yaml(text, file), base_dir=base_dir)


def from_located(located: Located, base_dir: FsPath | None) -> Scenario:
    """Validate the shape, check the whole, check every variant; raise every problem found.

    Where pydantic rejects some entries (a node, a lane, a policy, ...), the checks run on the
    scenario without them (`pruning.py`): checks involving an entry with a shape error wait
    until it is fixed. A shape error outside every entry is reported alone.
    """
    if not isinstance(located.data, dict):
        raise ScenarioError([located.problem((), "a scenario is a mapping of fields "
                                             "(format, name, start, days, ...)")])
    shape: list[Problem] = []
    pruned: Pruned | None = None
    try:
        scenario = Scenario.model_validate(located.data)
    except ValidationError as e:
        shape = problems_from(e, located, Scenario)
        pruned = prune(located.data, e)
        if pruned is None:
            raise ScenarioError(shape) from None
        try:
            scenario = Scenario.model_validate(pruned.data)
        except ValidationError:  # e.g. every node pruned, and `nodes` may not be empty
            raise ScenarioError(shape) from None
    scenario._base_dir, scenario._file = base_dir, located.file
    found = check(scenario)
    problems = shape + [located.problem(_original(pruned, path), _message(pruned, message))
                        for path, message in found if not _involved(pruned, path, message)]
    problems += _check_variants(scenario, located, set(found), pruned)
    if problems:
        raise ScenarioError(problems)
    return scenario


def _involved(pruned: Pruned | None, path: Path, message: str) -> bool:
    return pruned is not None and pruned.involves(path, message)


def _original(pruned: Pruned | None, path: Path) -> Path:
    return path if pruned is None else pruned.original(path)


def _message(pruned: Pruned | None, message: str) -> str:
    return message if pruned is None else pruned.message(message)


def _check_variants(scenario: Scenario, located: Located, base: set[tuple[Path, str]],
                    pruned: Pruned | None) -> list[Problem]:
    """Every variant must give a valid scenario; its problems point at the variant. Only what
    a variant adds is its problem: one the scenario has without it (`base`) is reported once,
    where it is. A variant whose `set` names a list item by a position pruning moved waits."""
    problems: list[Problem] = []
    for name, variant in scenario.variants.items():
        if pruned is not None and any(pruned.by_position(key) for key in variant.set):
            continue
        try:
            data = variant_data(scenario, name)
        except PathError as e:
            at: Path = ("variants", name, "set", e.path)
            if not _involved(pruned, at, str(e)):
                problems.append(located.problem(at, str(e)))
            continue
        try:
            found = check(scenario._carry(Scenario.model_validate(data)))
        except ValidationError as e:
            found = describe(e, data, Scenario)
        problems += [_in_variant(located, name, variant, data, path, _message(pruned, message))
                     for path, message in found
                     if (path, message) not in base and not _involved(pruned, path, message)]
    return problems


def _in_variant(located: Located, name: str, variant: Variant, data: dict[str, Any],
                path: Path, message: str) -> Problem:
    """A problem a variant makes, at the `set` entry that made it (the one whose target shares
    the longest prefix with the problem's field), else at the variant itself."""
    best, shared = None, 0
    for key in variant.set:
        try:
            target = path_keys(data, key)
        except PathError:
            continue
        n = next((i for i, (a, b) in enumerate(zip(target, path, strict=False)) if a != b),
                 min(len(target), len(path)))
        if n > shared:
            best, shared = key, n
        if n == len(target) == len(path):  # the value set is itself invalid: say just why
            return located.problem(("variants", name, "set", key), message)
    if best is None and len(variant.set) == 1:
        best = next(iter(variant.set))
    at: Path = ("variants", name) if best is None else ("variants", name, "set", best)
    return located.problem(at, f"makes {named(data, path)} invalid: {message}")
