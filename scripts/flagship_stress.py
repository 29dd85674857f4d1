"""The stress-test table of docs/flagship.md: n95-2020 as it happened (`history`), each
supplier and each border out for two weeks from 1 April 2020, ranked by exposure, with the
target that hurts the US and Canada most. `python scripts/flagship_stress.py` prints it (the
same numbers as `borderflow stress n95-2020 --variant history --ttr 14`); a test checks the
doc."""

from __future__ import annotations

import pandas as pd

import borderflow

TTR = 14
US, CANADA = ("us-rest", "mi"), ("on", "ca-rest")


def result() -> borderflow.studies.StressResult:
    return borderflow.stress("n95-2020", variant="history", ttr=TTR)


def table(r: borderflow.studies.StressResult | None = None) -> str:
    r = result() if r is None else r
    by_country = r.regions.assign(country=r.regions["region"].map(
        lambda g: "US" if g in US else "Canada" if g in CANADA else "other"))
    lost = by_country.groupby(["target", "country"])["impact_units"].sum().unstack(fill_value=0.0)
    lines = ["| target | kind | TTS (rules) | TTS (best allocation) | units lost | US | Canada "
             "| unstaffed patient-days | exposure |", "|---|---|---|---|---|---|---|---|---|"]

    def days(v: object) -> str:
        return "survives" if pd.isna(v) else f"{int(v)} days"  # type: ignore[call-overload]

    for row in r.rows.itertuples(index=False):
        lines.append(
            f"| {row.target} | {row.kind} | {days(row.tts_days)} | {days(row.tts_optimal_days)} "
            f"| {row.impact_units / 1e6:,.2f} M | {lost.loc[row.target, 'US'] / 1e6:+,.2f} M "
            f"| {lost.loc[row.target, 'Canada'] / 1e6:+,.2f} M "
            f"| {row.unstaffed_patient_days:,.0f} | {row.exposure_index:.3f} |")
    s = r.scenario
    home = {d.description: s.regions[s.nodes[d.node].region].country if d.node else
            d.border.from_country if d.border else "" for d in r.targets}
    for country, code in (("US", "US"), ("Canada", "CA")):
        worst = lost[country].idxmax()
        abroad = lost[country][[t for t in lost.index if home.get(t) != code]].idxmax()
        lines += ["", f"{country}: most exposed to **{worst}** "
                  f"({lost.loc[worst, country] / 1e6:,.2f} M units lost there), and beyond its "
                  f"borders to **{abroad}** ({lost.loc[abroad, country] / 1e6:,.2f} M)."]
    return "\n".join(lines)


if __name__ == "__main__":
    print(table())
