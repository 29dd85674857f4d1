"""The attribution table of docs/flagship.md and the README: n95-2020 under
`ban-and-retaliation`, each policy's share of the US's and Canada's shortage of N95s and of
surgical masks and gowns (units of unmet demand) and of Detroit's unstaffed patient-days (the
nurse-days kept home), and the "hurting itself as much" verdict. `python
scripts/flagship_attribution.py` prints it (the same numbers as `borderflow attribute n95-2020
--variant ban-and-retaliation --policies ...,ca-retaliation`); a test checks the doc."""

from __future__ import annotations

import borderflow

VARIANT = "ban-and-retaliation"
COUNTRY = {"mi": "US", "us-rest": "US", "on": "Canada", "ca-rest": "Canada"}


def result() -> borderflow.studies.Attribution:
    s = borderflow.model.apply_variant(borderflow.load("n95-2020"), VARIANT)
    names = [p.id for p in s.policies if p.enabled and p.type != "retaliation"]
    return borderflow.attribute(s, policies=[*names, "ca-retaliation"])


def _by_country(a: borderflow.studies.Attribution) -> dict[tuple[str, str, str], float]:
    out: dict[tuple[str, str, str], float] = {}
    for r in a.rows.itertuples(index=False):
        if r.region in COUNTRY:
            key = (r.policy, COUNTRY[r.region], r.commodity)
            out[key] = out.get(key, 0.0) + r.contribution
    return out


def _millions(x: float) -> str:
    return "0" if abs(x) < 0.05e6 else f"{x / 1e6:+,.1f} M"


def table(a: borderflow.studies.Attribution | None = None) -> str:
    a = result() if a is None else a
    by = _by_country(a)
    care = a.care.groupby("policy")["contribution"].sum()
    demand = a.totals.assign(country=a.totals["region"].map(COUNTRY)) \
        .groupby(["country", "commodity"])["demand"].sum()
    lines = ["| policy | US N95 | US surgical | Canada N95 | Detroit unstaffed patient-days |",
             "|---|---|---|---|---|"]
    for p in a.policies:
        cells = [by.get((p, "US", "n95"), 0.0), by.get((p, "US", "surgical"), 0.0),
                 by.get((p, "Canada", "n95"), 0.0)]
        if max(abs(c) for c in cells) < 0.5e6 and abs(care.get(p, 0.0)) < 0.5:
            continue
        lines.append(f"| {p} | " + " | ".join(_millions(c) for c in cells) +
                     f" | {care.get(p, 0.0):+,.0f} |")
    ban = {k: by.get(("us-export-ban", *k), 0.0) for k in
           (("US", "n95"), ("US", "surgical"), ("Canada", "n95"))}
    hit = by.get(("ca-retaliation", "US", "surgical"), 0.0)
    back = ban[("US", "surgical")] + hit
    nurses = care.get("us-export-ban", 0.0) + care.get("ca-retaliation", 0.0)
    pct = 100 * back / demand[("US", "surgical")]
    lines += ["", f"The ban saves the US {-ban[('US', 'n95')] / 1e6:,.1f} M N95s and costs Canada "
              f"{ban[('Canada', 'n95')] / 1e6:,.1f} M: in N95s the US gains about what Canada "
              f"loses. Canada's retaliation, which only the ban triggers, costs the US "
              f"{back / 1e6:,.1f} M surgical masks and gowns ({pct:.0f}% of its demand) and "
              f"{nurses:,.0f} unstaffed patient-days in Detroit, shared equally by the ban "
              f"and the retaliation (either alone does nothing). Counted in pieces, the US hurts "
              f"itself {back / -ban[('US', 'n95')]:,.0f} times as much as it gains, and "
              f"{back / ban[('Canada', 'n95')]:,.0f} times as much as it hurts Canada; "
              f"\"as much\" holds in N95s alone only for what the ban moves, not for what it "
              f"costs the US."]
    return "\n".join(lines)


if __name__ == "__main__":
    print(table())
