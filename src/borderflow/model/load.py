"""Load a scenario: read YAML -> validate the shape (pydantic) -> check the whole -> freeze."""

from __future__ import annotations

from importlib import resources
from pathlib import Path as FsPath

from pydantic import ValidationError

from .checks import check
from .errors import Problem, ScenarioError
from .messages import problems_from
from .paths import PathError
from .scenario import Scenario
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
    """Load and validate a scenario from a built-in name or a YAML file."""
    path = resolve(source)
    located = read_yaml_file(path)
    return from_located(located, base_dir=path.parent)


def loads(text: str, file: str = "<string>", base_dir: FsPath | None = None) -> Scenario:
    """Load a scenario from YAML text (CSV series are read relative to `base_dir`)."""
    return from_located(read_yaml(text, file), base_dir=base_dir)


def from_located(located: Located, base_dir: FsPath | None) -> Scenario:
    if not isinstance(located.data, dict):
        raise ScenarioError([located.problem((), "a scenario is a mapping of fields "
                                             "(format, name, start, days, ...)")])
    try:
        scenario = Scenario.model_validate(located.data)
    except ValidationError as e:
        raise ScenarioError(problems_from(e, located, Scenario)) from None
    scenario._base_dir, scenario._file = base_dir, located.file
    problems = [located.problem(path, message) for path, message in check(scenario)]
    if not problems:
        problems = _check_variants(scenario, located)
    if problems:
        raise ScenarioError(problems)
    return scenario


def _check_variants(scenario: Scenario, located: Located) -> list[Problem]:
    """Every variant must give a valid scenario; its problems point at the variant."""
    problems: list[Problem] = []
    for name, _variant in scenario.variants.items():
        try:
            data = variant_data(scenario, name)
        except PathError as e:
            problems.append(located.problem(("variants", name, "set", e.path), str(e)))
            continue
        try:
            out = Scenario.model_validate(data)
        except ValidationError as e:
            for err in e.errors():
                loc = ".".join(str(p) for p in err["loc"])
                problems.append(located.problem(("variants", name, "set"),
                                                f"makes {loc} invalid: {err['msg'].lower()}"))
            continue
        scenario._carry(out)
        for path, message in check(out):
            dotted = ".".join(str(p) for p in path)
            problems.append(located.problem(("variants", name, "set"),
                                            f"makes {dotted} invalid: {message}"))
    return problems
