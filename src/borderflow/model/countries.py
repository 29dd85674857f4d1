"""Countries are ISO 3166-1 alpha-2 codes (pycountry's list), or groups the scenario declares
(`groups: {latam: [AR, BR, CL, ...]}`): a region whose country is a group stands for those
countries together, treated as one country (a border lies between it and every other), and a
policy names the group as it names a country."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from .messages import did_you_mean

if TYPE_CHECKING:
    from .errors import Path
    from .scenario import Scenario

Found = Iterator[tuple["Path", str]]


def iso_name(code: str) -> str | None:
    """The country's name if `code` is an ISO 3166-1 alpha-2 code."""
    import pycountry  # its data loads on first use

    if len(code) != 2 or not code.isupper():
        return None
    country = pycountry.countries.get(alpha_2=code)
    return None if country is None else str(country.name)


def _suggest(text: str, groups: list[str]) -> str:
    """What a wrong country was probably meant to be: an alpha-3 code or a name, as alpha-2."""
    import pycountry

    try:
        found = pycountry.countries.lookup(text.strip())
    except LookupError:
        return did_you_mean(text, groups)
    return f" (did you mean {found.alpha_2!r}, {found.name}?)"


def check(s: Scenario) -> Found:
    groups = sorted(s.groups)
    used = {r.country: rid for rid, r in s.regions.items()}
    for gid, members in s.groups.items():
        for j, code in enumerate(members):
            at: Path = ("groups", gid, j)
            if iso_name(code) is None:
                yield at, f"unknown country {code!r}: a group holds ISO 3166-1 alpha-2 codes" \
                    f"{_suggest(code, [])}"
            elif code in used:
                yield at, f"{code} is the country of region {used[code]}; a group stands for " \
                    "countries no region names (a region in the group has the group as its " \
                    "country)"
        if len(set(members)) < len(members):
            yield ("groups", gid), "a country is listed twice"
    for rid, region in s.regions.items():
        code = region.country
        if code not in s.groups and iso_name(code) is None:
            yield ("regions", rid, "country"), f"unknown country {code!r}: a country is an ISO " \
                f"3166-1 alpha-2 code (US, CA, MX) or a group declared in `groups`" \
                f"{_suggest(code, groups)}"
