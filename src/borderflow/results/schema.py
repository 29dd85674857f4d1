"""The output tables, declared once: every column's name, type and meaning, and how people see
it. The result tables are built to these columns (a test holds them to it); the sweep's chunk
files, the catalogue's column types, the command line's and the report's KPI tables and the
output reference in docs/outputs.md are all derived from here.

Adding a KPI: compute it in `kpis.BatchKpis` and declare it in `KPIS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Dtype = Literal["str", "int", "float", "bool", "date", "category"]
SQL = {"str": "varchar", "category": "varchar", "int": "bigint", "float": "double",
       "bool": "boolean", "date": "date"}


@dataclass(frozen=True)
class Column:
    name: str
    dtype: Dtype
    meaning: str
    label: str = ""  # as tables for people head it ("\n" where a narrow column breaks it)
    digits: int | None = None  # decimals shown; None: not a number people read
    quiet: bool = False  # tables for people leave it out when it is 0 in every row
    twin: str = ""  # tables for people leave it out when it equals this column in every row
    hidden: bool = False  # tables for people leave it out (it is in the files and --json)

    @property
    def heading(self) -> str:
        return self.label or self.name


@dataclass(frozen=True)
class Table:
    name: str
    meaning: str
    columns: tuple[Column, ...]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def shown(self, frame: Any) -> list[Column]:
        """The columns a table for people shows of `frame`: all but quiet ones that are 0
        (or missing) in every row and twins equal to their twin in every row."""
        def differs(c: Column) -> bool:
            if c.name not in frame or c.twin not in frame:
                return False
            a, b = frame[c.name].fillna(0).to_numpy(), frame[c.twin].fillna(0).to_numpy()
            return bool((abs(a - b) > 1e-9 * (1 + abs(b))).any())
        return [c for c in self.columns if not c.hidden
                and (not c.quiet or (c.name in frame and bool((frame[c.name].fillna(0) != 0).any())))
                and (not c.twin or differs(c))]

    def sql_types(self) -> dict[str, str]:
        """Column -> DuckDB type (a view over no files still has its columns)."""
        return {c.name: SQL[c.dtype] for c in self.columns}

    def extend(self, name: str, meaning: str, before: tuple[Column, ...] = (),
               after: tuple[Column, ...] = ()) -> Table:
        return Table(name, meaning, (*before, *self.columns, *after))


def _c(name: str, dtype: Dtype, meaning: str, label: str = "", digits: int | None = None,
       quiet: bool = False, twin: str = "", hidden: bool = False) -> Column:
    return Column(name, dtype, meaning, label, digits, quiet, twin, hidden)


DAY = _c("day", "int", "day number, 0 = the scenario's start")
DATE = _c("date", "date", "the day's date")
REGION = _c("region", "str", "region id", "region")
COMMODITY = _c("commodity", "str", "commodity id", "commodity")
VARIANT = _c("variant", "str", "variant name ('(as written)' for the scenario without one)")
SAMPLE = _c("sample", "int", "sample number k (drawn from child k of the sweep's seed)")

# the shortfall against normal use, beside the one after conservation (`demand`, `unmet`): a
# conserving site's normal demand is what it would have used without conservation
NORMAL = (
    _c("normal_demand", "float", "units the region's sites would have used at normal rates (no "
       "conservation)", "demand at\nnormal use", 0, twin="demand", hidden=True),
    _c("normal_unmet", "float", "normal_demand less served: the shortfall against normal use",
       "unmet at\nnormal use", 0, twin="unmet"),
    _c("normal_unmet_pct", "float", "normal_unmet as % of normal_demand", "unmet % at\nnormal use",
       1, twin="unmet_pct"))
KPIS = Table("kpis", "key figures per region and commodity over the horizon", (
    REGION, COMMODITY,
    _c("demand", "float", "units the region's sites tried to use (after conservation)", "demand", 0),
    _c("served", "float", "units used", "served", 0),
    _c("unmet", "float", "units not used for want of stock", "unmet", 0),
    _c("unmet_pct", "float", "unmet as % of demand", "unmet %", 1),
    _c("stockout_days", "int", "days on which some site of the region left demand unmet",
       "stockout\ndays", 0),
    _c("min_days_of_supply", "float", "lowest over days with demand of the region's sites' "
       "end-of-day stock over that day's demand", "min days\nof supply", 1),
    *NORMAL,
    _c("backlog", "float", "units its sites still owe at the end (sites with unmet: backlog)",
       "backlog", 0, quiet=True),
    _c("mean_delay_days", "float", "mean delay in days of the units served, first owed first "
       "served (0 where unmet demand is lost)", "mean delay\n(days)", 1, quiet=True),
    _c("cost", "float", "shortage, holding and transport cost at the region's nodes (transport "
       "where it arrives) of this commodity", "cost", 0, quiet=True),
))

FLOWS = Table("flows", "shipments (days with nothing shipped omitted)", (
    DAY, DATE, _c("from", "str", "shipping node"), _c("to", "str", "receiving node"), COMMODITY,
    _c("quantity", "float", "units shipped", "quantity", 0),
    _c("rejected", "float", "of them, units the destination will reject on arrival (the lane's "
       "yield below 1)", "rejected", 0)))
STOCKS = Table("stocks", "end-of-day stock of every node that ever holds, receives or uses a "
               "commodity", (
                   DAY, _c("node", "category", "node id"), _c("commodity", "category", "commodity id"),
                   _c("stock", "float", "units on hand at the end of the day", "stock", 0),
                   _c("in_transit", "float", "units shipped to the node, not yet arrived", "in transit", 0)))
SITES = Table("sites", "demand and use per site and day", (
    DAY, _c("node", "category", "site id"), REGION, _c("commodity", "category", "commodity id"),
    _c("demand", "float", "units the site tried to use (after conservation)", "demand", 0),
    _c("served", "float", "units used (at a site that owes unmet demand: of its backlog first)",
       "served", 0),
    _c("unmet", "float", "units of the day's demand not used that day: lost, or owed",
       "unmet", 0),
    _c("backlog", "float", "units owed at the end of the day (unmet: backlog)", "backlog", 0),
    _c("normal_demand", "float", "units it would have used at normal rates (no conservation)",
       "demand at\nnormal use", 0, twin="demand"),
    _c("substituted", "float", "of served, units a substitute covered (another commodity used "
       "in its place once its own stock ran out; in this commodity's units)", "substituted",
       0),
    _c("stock", "float", "the site's end-of-day stock", "stock", 0),
    _c("days_of_supply", "float", "stock over that day's demand (empty on a day without "
       "demand)", "days of supply", 1)))
SUPPLY = Table("supply", "days of supply at the point of care per region, commodity and day "
               "(on days with demand)", (
                   DAY, DATE, REGION, COMMODITY,
                   _c("stock", "float", "the region's sites' end-of-day stock", "stock", 0),
                   _c("demand", "float", "that day's demand", "demand", 0),
                   _c("days_of_supply", "float", "stock over demand", "days of supply", 1)))
CARE = Table("care", "care capacity per care site and day", (
    DAY, _c("site", "str", "care site"),
    _c("patients", "float", "patients at the site", "patients", 0),
    _c("staff", "float", "staff on duty: local staff and commuters whose border is open", "staff", 0),
    _c("capacity", "float", "patients the staff on duty can care for (staff x patients_per_staff)",
       "capacity", 0),
    _c("unstaffed", "float", "patients beyond what the staff on duty can care for", "unstaffed", 0)))
CONSTRAINTS = Table("constraints", "per lane, commodity and day with anything asked or shipped", (
    DAY, DATE, _c("lane", "str", '"from->to", or the name of an arc a policy added ("airlift:<id>")'),
    _c("from", "str", "shipping node"), _c("to", "str", "receiving node"), COMMODITY,
    _c("requested", "float", "asked of the lane (requests and claims)", "requested", 0),
    _c("allowed", "float", "what lane capacity and policies let through, before stock", "allowed", 0),
    _c("shipped", "float", "units shipped", "shipped", 0),
    _c("reason", "str", "why less was shipped than asked: stock, lane_capacity, "
       "stockpile_closed, policy:<id>, rated_order:<id> (empty: it was not)")))
POLICIES = Table("policies", "the policy timeline", (
    _c("policy", "str", "policy id"), _c("type", "str", "policy type"),
    _c("enabled", "bool", "enabled as written (or by the variant)"),
    _c("enabled_by", "str", "what put it in force: scenario (enabled as written or by the "
       "variant) or the id of the retaliation that switched it on (empty: never in force)"),
    _c("active_days", "int", "days in force (an airlift: days a flight leaves; a delivery: days "
       "something arrives)"),
    _c("first_day", "int", "first day in force"),
    _c("last_day", "int", "last day in force"),
    _c("fired_day", "int", "the day a retaliation fired")))
ORDERS = Table("orders", "each rated order", (
    _c("order", "str", "policy id", "order"),
    _c("rating", "str", "its rating (DX or DO, or one the scenario declares)", "rating"),
    _c("supplier", "str", "supplier node", "supplier"), _c("buyer", "str", "buyer node", "buyer"),
    COMMODITY,
    _c("quantity", "float", "units ordered", "quantity", 0),
    _c("due_day", "int", "day it is due", "due day"),
    _c("delivered", "float", "units shipped by the end", "delivered", 0),
    _c("filled_day", "int", "day the last unit arrived, if filled", "filled day"),
    _c("on_time", "bool", "filled by its due day", hidden=True),
    _c("shortfall", "float", "units not delivered", "shortfall", 0),
    _c("status", "str", "on_time (filled by its due day), late (filled after it), short (due "
       "within the horizon, not filled) or pending (not filled, not due before the horizon ends)"),
    _c("days_late", "int", "days after its due day that a late order was filled (0: on time)",
       "days late")))
CONSERVATION = Table("conservation", "each spell of crisis conservation per site and commodity", (
    _c("site", "str", "site id", "site"), REGION, COMMODITY,
    _c("entered_day", "int", "first day its demand was cut by a conservation policy", hidden=True),
    _c("entered", "date", "that day's date", "entered"),
    _c("left_day", "int", "first day back at normal use (none: conserving to the end)",
       hidden=True),
    _c("left", "date", "that day's date", "left (empty: conserving to the end)"),
    _c("days", "int", "days the spell lasted", "days")))
PRODUCTION = Table("production", "what each plant made each day (zero days omitted)", (
    DAY, _c("node", "str", "plant id"), COMMODITY, _c("produced", "float", "units made")))

# the tables a run folder holds, in this order
RUN_TABLES = {t.name: t for t in (FLOWS, STOCKS, SITES, KPIS, SUPPLY, CARE, CONSTRAINTS, POLICIES)}
# every table a Result has
RESULT_TABLES = {**RUN_TABLES, **{t.name: t for t in (ORDERS, CONSERVATION, PRODUCTION)}}

COMPARE = Table("compare", "every variant's unmet demand against the first", (
    VARIANT, REGION, COMMODITY, *KPIS.columns[2:6],
    _c("delta_unmet", "float", "unmet less the baseline's", "Δ unmet", 0),
    _c("delta_unmet_pct", "float", "unmet % less the baseline's, in percentage points (pp)",
       "Δ unmet pp", 1),
    _c("effect", "str", "hurt, gains or same (a change under 0.1% of demand is noise)"),
    *NORMAL[1:], KPIS.columns[-1],
    _c("delta_cost", "float", "cost less the baseline's", "Δ cost", 0, quiet=True)))
COMPARE_CARE = Table("compare_care", "unstaffed patient-days per care site and variant", (
    VARIANT, _c("site", "str", "care site"), REGION,
    _c("unstaffed_patient_days", "float", "patients beyond what the staff could care for, summed "
       "over days", "unstaffed patient-days", 0),
    _c("delta_unstaffed_patient_days", "float", "less the baseline's", "Δ", 0),
    _c("effect", "str", "hurt, gains or same")))

SENSITIVITY = Table("sensitivity", "each assumption's effect on each output, set to its value x "
                    "(1 - factor) and x (1 + factor), one at a time", (
    _c("assumption", "str", "the number, as a variant's `set` names it", "assumption"),
    _c("line", "int", "its line in the scenario file", "line"),
    _c("value", "float", "its value as written", "value", 2),
    _c("low_value", "float", "the value x (1 - factor) (whole numbers rounded; empty: not run)"),
    _c("high_value", "float", "the value x (1 + factor)"),
    _c("output", "str", "region:commodity (the chosen KPI) or care:site (unstaffed "
       "patient-days)", "output"),
    _c("low", "float", "the output with the low value", "low", 1),
    _c("high", "float", "the output with the high value", "high", 1),
    _c("delta_low", "float", "low less the output as written", "Δ low", 1),
    _c("delta_high", "float", "high less the output as written", "Δ high", 1),
    _c("swing", "float", "|high - low|", "swing", 1)))

STRESS = Table("stress", "one row per target of a stress test, the most exposed first", (
    _c("target", "str", "what was disrupted: a node, a lane (a->b), a border (US>CA), a country, "
       "or the id of one of the scenario's disruptions", "target"),
    _c("kind", "str", "node, lane, border or country", "kind"),
    _c("ttr_days", "int", "time to recover: days the disruption lasts", "TTR\ndays", 0),
    _c("tts_days", "int", "time to survive under the chosen allocator: days from the start to "
       "the first day the sites are short by more than undisrupted (empty: never within the "
       "horizon)", "TTS\ndays", 0),
    _c("tts_optimal_days", "int", "the same under the optimal allocation (empty: never, or not "
       "solved)", "TTS\noptimal", 0),
    _c("impact_units", "float", "unmet demand the disruption adds, every commodity, to the "
       "horizon's end", "impact\nunits", 0),
    _c("impact_pct", "float", "impact_units as a share of all demand, in %", "impact\n%", 2),
    _c("impact_cost", "float", "shortage cost it adds (the scenario's shortage_cost)", "impact\ncost",
       0, quiet=True),
    _c("unstaffed_patient_days", "float", "unstaffed patient-days it adds", "unstaffed\npt-days",
       1, quiet=True),
    _c("exposure_index", "float", "impact (cost where the scenario gives shortage costs, else "
       "units) scaled so the worst target is 1", "exposure", 3),
    _c("worst_region", "str", "the region whose unmet demand it raises most", "worst region")))
STRESS_REGIONS = Table("stress_regions", "each target's impact per region and commodity", (
    _c("target", "str", "as in `stress`"), REGION, COMMODITY,
    _c("impact_units", "float", "unmet demand the disruption adds", "impact", 0),
    _c("impact_pct", "float", "as a share of the region's demand of the commodity, in %",
       "impact %", 2)))

POLICY = _c("policy", "str", "policy id (a player of the attribution)", "policy")
CONTRIBUTION_STDERR = _c("stderr", "float", "standard error of the contribution over the sampled "
                         "orders (empty when every coalition ran)", "± s.e.", 0)
ATTRIBUTION = Table("attribution", "each policy's contribution to each region's unmet demand of "
                    "each commodity (its Shapley value; positive: it made the shortage worse)", (
    REGION, COMMODITY, POLICY,
    _c("contribution", "float", "units of unmet demand the policy adds; a row per region and "
       "commodity adds up to unmet_variant - unmet_none", "contribution", 0),
    CONTRIBUTION_STDERR))
ATTRIBUTION_CARE = Table("attribution_care", "each policy's contribution to each care site's "
                         "unstaffed patient-days", (
    _c("site", "str", "care site", "care site"), POLICY,
    _c("contribution", "float", "unstaffed patient-days the policy adds", "contribution", 0),
    CONTRIBUTION_STDERR))
ATTRIBUTION_TOTALS = Table("attribution_totals", "what the contributions of a region and "
                           "commodity add up to", (
    REGION, COMMODITY,
    _c("demand", "float", "units the region's sites tried to use as in the variant (after "
       "conservation)", "demand", 0),
    _c("unmet_none", "float", "unmet demand with every listed policy off", "unmet with no\n"
       "listed policy", 0),
    _c("unmet_variant", "float", "unmet demand as in the variant (every listed policy on)",
       "unmet as in\nthe variant", 0)))
ATTRIBUTION_CARE_TOTALS = Table("attribution_care_totals", "what the contributions of a care "
                                "site add up to", (
    _c("site", "str", "care site", "care site"),
    _c("unstaffed_none", "float", "unstaffed patient-days with every listed policy off",
       "with no\nlisted policy", 0),
    _c("unstaffed_variant", "float", "unstaffed patient-days as in the variant",
       "as in the\nvariant", 0)))
ATTRIBUTION_INTERACTIONS = Table("attribution_interactions", "the largest pairwise Shapley "
                                 "interactions (exact attributions only)", (
    REGION, COMMODITY,
    _c("policy_a", "str", "one policy of the pair", "policy"),
    _c("policy_b", "str", "the other", "with"),
    _c("interaction", "float", "units of unmet demand: negative, the two overlap (either alone "
       "does what both do); positive, they compound", "interaction", 0)))
ATTRIBUTION_TABLES = (ATTRIBUTION, ATTRIBUTION_CARE, ATTRIBUTION_TOTALS, ATTRIBUTION_CARE_TOTALS,
                      ATTRIBUTION_INTERACTIONS)

SWEEP_KPIS = KPIS.extend("sweep_kpis", "KPIs per variant, sample, region and commodity",
                         before=(VARIANT, SAMPLE))
# what identifies a row of a sweep
SWEEP_KEYS = ("variant", "sample", "region", "commodity")
DAILY = Table("sweep_daily", "daily series of the regions a sweep keeps them of", (
    VARIANT, SAMPLE, REGION, COMMODITY, DAY,
    _c("demand", "float", "the region's sites' demand"),
    _c("unmet", "float", "their unmet demand"),
    _c("stock", "float", "their end-of-day stock")))
SUMMARY = Table("sweep_summary", "per variant, region and commodity over samples", (
    VARIANT, REGION, COMMODITY,
    _c("unmet_pct_mean", "float", "mean of unmet %", "unmet % mean", 1),
    _c("unmet_pct_p10", "float", "10th percentile of unmet %", "P10", 1),
    _c("unmet_pct_p50", "float", "median of unmet %", "P50", 1),
    _c("unmet_pct_p90", "float", "90th percentile of unmet %", "P90", 1),
    _c("p_stockout", "float", "share of samples with a day of unmet demand", "P(stockout)", 2)))


def reference() -> str:
    """The output reference (Markdown), generated from these declarations so it cannot drift:
    `borderflow schema --outputs` prints it, docs/outputs.md is it."""
    lines = ["# Output tables", "",
             "Generated from `src/borderflow/results/schema.py` by `borderflow schema --outputs`; "
             "do not edit by hand.", "",
             "A run folder holds the run tables as Parquet (`<table>.parquet`), `summary.json` (the "
             "`run --json` document) and `manifest.json`; a comparison folder `compare.parquet`; a "
             "sweep folder one `chunk-*.parquet` (sweep_kpis) and, with `--daily`, one "
             "`daily-*.parquet` (sweep_daily) per chunk; an attribution folder one `<table>.parquet` "
             "per attribution table and `attribution.json` (the `attribute --json` document). "
             "The catalogue's views (`borderflow query`) "
             "are these tables with the entry's id, scenario and variant.", ""]
    groups = [("Run tables (a run folder, `Result`)", list(RUN_TABLES.values())),
              ("More tables of a `Result`", [ORDERS, CONSERVATION, PRODUCTION]),
              ("Comparisons", [COMPARE, COMPARE_CARE]),
              ("Sensitivity (`borderflow sensitivity`)", [SENSITIVITY]),
              ("Stress tests (`borderflow stress`)", [STRESS, STRESS_REGIONS]),
              ("Attribution (`borderflow attribute`)", list(ATTRIBUTION_TABLES)),
              ("Sweeps", [SWEEP_KPIS, DAILY, SUMMARY])]
    for title, tables in groups:
        lines += [f"## {title}", ""]
        for t in tables:
            lines += [f"### `{t.name}`", "", t.meaning[0].upper() + t.meaning[1:] + ".", "",
                      "| column | type | meaning |", "|---|---|---|"]
            lines += [f"| `{c.name}` | {c.dtype} | {c.meaning} |" for c in t.columns]
            lines.append("")
    return "\n".join(lines)
