"""The flagship scenario, n95-2020, tells the story of spring 2020 in the right direction and size.

Every bound below is worked out from the scenario's own numbers, which the tests read from the
scenario itself (in brackets: their values in n95-2020.yaml) so that a change in the file
shows up here as a failure to reconsider rather than a silent drift.

The story's arithmetic, in short:

- Ontario's N95 use follows its CHIME epidemic: 8 x (ICU + hospitalised) COVID patients (ICU
  16 and ward 8 per patient-day, Carias et al.) plus 4 x 15,362 non-COVID worker-days; 71,400
  a day at CHIME's peak on 6 April (~0.5 M/week, seed-facts V4), ~66,000 on average. Without
  US controls it gets 3M's Aberdeen lane (up to 48,000/day), a broker lane (5,000), usable
  China-made N95s (27,000) and the national stockpile, and is fully served. A standing US ban
  leaves it the China lane only, so once its stock is gone it is short its burn less 27,000
  every day (~37,500-44,400). The rest of Canada (constant: no epidemic is modelled there) is
  short 113,000 - 41,000 = 72,000 a day the same way.
- History blocks 3M's lanes for 3 days (3-6 April) and the broker/distributor lanes to Canada
  for 14 (3-17 April): Canada loses a little supply, never runs out, and Ontario has about a
  week of cover on 6 April (seed-facts V4).
- Canada's retaliation fires after 7 days of ban (day 16, 10 April) and bans pulp from day 19;
  the US mask and gown plant holds 7 days of pulp, so it makes nothing from day 26 and loses
  1.5 M pieces a day for the last 72 days (108 M). US hospitals go short by that much less the
  surplus they would otherwise have ended with (24.2 M): 84-108 M more unmet (the run: ~90 M).
- The ban cuts Ontario's unmet from 0 to ~2.8 M (42%) and the rest of Canada's to ~4.3 M
  (39%), and retaliation leaves both exactly there; the US gains ~0.7 M N95s (0.3%).
- Michigan's N95 use is its CHIME epidemic's the same way plus a constant baseline (575,000 a
  day before conservation on 6 April); its care, Detroit's unstaffed patient-days, is in
  test_care.py.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
import pytest

import borderflow
from borderflow.demand.series import evaluate
from borderflow.model import apply_variant

NAME = "n95-2020"
VARIANTS = ["no-controls", "history", "ban-no-exemptions", "ban-and-retaliation"]
CANADA = ["on", "ca-rest"]
US = ["mi", "us-rest"]


@pytest.fixture(scope="module")
def c() -> Any:
    return borderflow.compare(NAME)


@pytest.fixture(scope="module")
def s(c: Any) -> Any:
    return c.scenario


def day(s: Any, iso: str) -> int:
    return int((dt.date.fromisoformat(iso) - s.start).days)


def unmet(c: Any, variant: str, regions: list[str], commodity: str = "n95") -> float:
    t = c.table
    rows = t[(t.variant == variant) & t.region.isin(regions) & (t.commodity == commodity)]
    assert len(rows) == len(regions)
    return float(rows.unmet.sum())


def row(c: Any, variant: str, region: str, commodity: str = "n95") -> pd.Series:
    t = c.table
    return t[(t.variant == variant) & (t.region == region) & (t.commodity == commodity)].iloc[0]


def nodes_in(s: Any, regions: list[str]) -> list[str]:
    return [n for n, node in s.nodes.items() if node.region in regions]


def daily_unmet(c: Any, variant: str, region: str) -> pd.Series:
    sites = c.results[variant].sites
    return sites[(sites.region == region) & (sites.commodity == "n95")].groupby("day").unmet.sum()


def shipped_in(c: Any, variant: str, regions: list[str], commodity: str = "n95") -> float:
    """What reached a region's nodes from outside it (lanes and airlifts, shipped in the horizon),
    less what was rejected on arrival."""
    s = c.results[variant].scenario
    inside = nodes_in(s, regions)
    f = c.results[variant].flows
    f = f[f.to.isin(inside) & ~f["from"].isin(inside) & (f.commodity == commodity)]
    return float((f.quantity - f.rejected).sum())


def cap(s: Any, lane: str) -> float:
    value = s.lane(lane).capacity
    assert value is not None
    return float(value)


def usable(s: Any, lane: str) -> float:
    """What a lane's capacity delivers that passes inspection (capacity x yield)."""
    return cap(s, lane) * s.lane(lane).yield_


def demand(s: Any, node: str, commodity: str = "n95") -> np.ndarray[Any, Any]:
    """A site's demand each day, before conservation (a constant or a burn list)."""
    return np.asarray(evaluate(s.nodes[node].demand[commodity], s))


def constant(series: Any) -> float:
    assert isinstance(series, int | float), "these tests expect a constant series here"
    return float(series)


# ---- shape ------------------------------------------------------------------------------------


def test_variants_come_with_the_baseline_first(c: Any) -> None:
    assert list(c.results) == VARIANTS
    assert c.baseline == "no-controls"
    assert all(c.scenario.variants[v].description for v in VARIANTS)
    assert list(c.table.columns)[:10] == ["variant", "region", "commodity", "demand", "served",
                                         "unmet", "unmet_pct", "delta_unmet", "delta_unmet_pct",
                                         "effect"]  # then the schema's cost columns


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_variant_is_sound(variant: str) -> None:
    assert borderflow.simulate(NAME, variant=variant).violations() == []


# ---- Canada under the ban ---------------------------------------------------------------------


def test_without_controls_and_in_history_canada_is_fully_served(c: Any) -> None:
    for variant in ("no-controls", "history"):
        assert unmet(c, variant, CANADA) == pytest.approx(0.0, abs=1.0)


def test_ontario_has_about_a_week_of_cover_on_6_april_and_never_runs_out(c: Any, s: Any) -> None:
    """Seed-facts V4: ~1 week of stock on 6 April, burn ~0.5 M/week [U]; Ontario held on."""
    burn = demand(s, "on-hospitals")  # [71,400 on 6 April, CHIME's peak; 62,900-71,400 over the horizon]
    assert burn[day(s, "2020-04-06")] * 7 == pytest.approx(0.5e6, rel=0.01)
    assert burn.argmax() == day(s, "2020-04-06")
    st = c.results["history"].stocks
    on = st[st.node.isin(nodes_in(s, ["on"])) & (st.commodity == "n95")].groupby("day").stock.sum()
    cover = on / burn[on.index]
    assert 5.0 <= cover[day(s, "2020-04-06")] <= 9.0
    # It dips while 3M's lanes are shared with FEMA's DX order and the US is short, but
    # Ontario never runs out (its unmet is zero, above) and keeps a few days in hand.
    assert cover.min() > 3.0
    # no-controls keeps more in hand than history: the controls cost Ontario cover, not care
    st0 = c.results["no-controls"].stocks
    on0 = st0[st0.node.isin(nodes_in(s, ["on"])) & (st0.commodity == "n95")].groupby("day").stock.sum()
    assert (on0 / burn[on0.index]).min() > cover.min()


def _ban_unmet_bounds(c: Any, s: Any, region: str, sources: dict[str, str],
                      pipeline_days: int) -> tuple[float, float]:
    """Bounds on a Canadian region's unmet N95 demand under the standing ban.

    Under the ban the region is served from (a) its hospitals' and distributor's stock on
    day 0, (b) what the US lanes shipped before 3 April (at most their capacity for those
    days), (c) the China lane, arriving `lead` days after shipping (at most its capacity
    every day), (d) its share of the national stockpile (at most all of it) and (e) any
    airlift it receives. At the end it
    holds only what is on the truck between its distributor and its hospitals
    (`pipeline_days` of the China supply). So

        demand - (a + b_max + c_max + d_max + e)  <=  unmet  <=  demand - (a + c + e - pipeline).

    The China lane runs at capacity on every day it is asked (its plant makes exactly the sum
    of its lanes' capacities, so no lane waits); a distributor skips a day or two right after
    the 5 April charter lands, so `c` is read from the flows and checked against `c_max`.
    """
    T, ban = s.days, day(s, "2020-04-03")
    site = next(n for n in nodes_in(s, [region]) if s.nodes[n].kind == "site")
    total = float(demand(s, site).sum())
    a = sum(s.nodes[n].stock.get("n95", 0.0) for n in nodes_in(s, [region])
            if s.nodes[n].kind != "stockpile")  # the NESS is (d)
    b_max = sum(cap(s, lane) for lane in sources["us"].split(",")) * ban
    china = s.lane(sources["china"])
    good = usable(s, sources["china"])  # a share of what it carries fails inspection
    c_max = good * (T - china.lead_time)
    f = c.results["ban-no-exemptions"].flows
    lane_flow = f[(f["from"] == china.from_) & (f.to == china.to)].set_index("day").quantity
    # full on all but a few days (the first, and those after the charter fills the distributor)
    full = lane_flow.reindex(range(T), fill_value=0.0) >= china.capacity * (1 - 1e-9)
    assert (~full).sum() <= 5
    c_arr = float(lane_flow[lane_flow.index < T - china.lead_time].sum()) * china.yield_
    assert c_max - 5 * good <= c_arr <= c_max
    d_max = s.nodes["ca-ness"].stock["n95"]
    e = sum(p.units_per_flight * len(p.flights) for p in s.policies
            if p.type == "airlift" and s.nodes[p.to].region == region)
    pipeline = good * pipeline_days
    return total - (a + b_max + c_max + d_max + e), total - (a + c_arr + e - pipeline)


def test_the_ban_leaves_ontario_short_by_its_china_gap(c: Any, s: Any) -> None:
    """Once its stock is gone, Ontario gets only the China lane: its burn less the 26,600 a day
    of the 97,500 it carries that pass inspection."""
    burn = demand(s, "on-hospitals")  # [71,400 on 6 April, falling to ~64,500 by 30 June]
    china = usable(s, "cn-makers->on-distributor")  # [26,600]
    daily = daily_unmet(c, "ban-no-exemptions", "on")
    short = daily[daily > 1.0]
    first = int(short.index.min())
    # short every day from then on, by exactly the China gap (after the first, partial day)
    assert (daily.loc[first:] > 1.0).all()
    assert np.allclose(daily.loc[first + 1:], burn[first + 1:] - china)
    # the ban starts on day 9 and Ontario has ~1-2 weeks in hand (stock, NESS, pipeline)
    assert day(s, "2020-04-10") <= first <= day(s, "2020-05-01")

    lo, hi = _ban_unmet_bounds(
        c, s, "on",
        {"us": "3m-aberdeen->on-distributor,us-broker->on-distributor",
         "china": "cn-makers->on-distributor"}, pipeline_days=1)
    # [1.9 M, 3.5 M] with the file's numbers (demand 6.48 M over the horizon, its burn
    # summed day by day); the run gives ~2.86 M (44% of demand)
    extra = float(row(c, "ban-no-exemptions", "on").delta_unmet)
    assert unmet(c, "no-controls", ["on"]) == pytest.approx(0.0, abs=1.0)
    assert lo <= extra <= hi
    assert lo >= 1.9e6 and hi <= 3.5e6
    assert row(c, "ban-no-exemptions", "on").delta_unmet_pct > 35
    assert row(c, "ban-no-exemptions", "on").effect == "hurt"


def test_the_ban_leaves_the_rest_of_canada_short_by_its_china_gap(c: Any, s: Any) -> None:
    """113,000 - 41,000 = 72,000/day once stocks, the NESS and the 5 April charter are used up."""
    burn = constant(s.nodes["ca-hospitals"].demand["n95"])  # [113,000; no epidemic]
    china = usable(s, "cn-makers->ca-distributor")  # [41,600]
    daily = daily_unmet(c, "ban-no-exemptions", "ca-rest")
    first = int(daily[daily > 1.0].index.min())
    assert np.allclose(daily.loc[first + 1:], burn - china)

    lo, hi = _ban_unmet_bounds(
        c, s, "ca-rest",
        {"us": "3m-aberdeen->ca-distributor,us-distributor->ca-distributor",
         "china": "cn-makers->ca-distributor"}, pipeline_days=2)
    # [3.56 M, 5.52 M]; the run gives ~4.2 M (38% of demand)
    extra = float(row(c, "ban-no-exemptions", "ca-rest").delta_unmet)
    assert lo <= extra <= hi
    assert lo >= 3.5e6 and hi <= 5.6e6
    assert row(c, "ban-no-exemptions", "ca-rest").delta_unmet_pct > 30


def test_history_sits_between_no_controls_and_the_ban_for_canada(c: Any, s: Any) -> None:
    """Unmet: no-controls <= history < ban. US supply reaching Canada: no-controls > history > ban.

    History's export controls block at most 3 days of the 3M lanes (48,000 + 75,000) and 14
    days of the broker/distributor lanes (5,000 + 8,000): 551,000 N95s. Its DPA order takes
    more: US hospitals order toward two weeks of normal use, so 3M Aberdeen runs out of stock
    in every variant, and the rated order is filled first, leaving Canada's distributors a
    smaller share of the rest. So without the DPA order history loses Canada under 551,000
    US N95s against no-controls, and the order itself loses it more. Ontario's burn falls
    after its 6 April peak, so in no-controls the China lanes have room to spare and in
    history they make up much of what the US lanes lost. The standing ban blocks all four
    lanes for 89 days, at most 136,000 x 89 = 12.1 M, and at least what they carried in
    no-controls after 3 April less what the China lanes can add (their spare capacity).
    """
    assert unmet(c, "no-controls", CANADA) <= unmet(c, "history", CANADA) + 1.0
    assert unmet(c, "history", CANADA) < unmet(c, "ban-no-exemptions", CANADA)

    got = {v: shipped_in(c, v, CANADA) for v in VARIANTS[:3]}
    from_us = {v: _from_us(c, v) for v in VARIANTS[:3]}
    assert from_us["no-controls"] > from_us["history"] > from_us["ban-no-exemptions"]
    assert got["no-controls"] > got["ban-no-exemptions"] and got["history"] > got["ban-no-exemptions"]

    ban = day(s, "2020-04-03")
    three_m = ["3m-aberdeen->on-distributor", "3m-aberdeen->ca-distributor"]
    grey = ["us-broker->on-distributor", "us-distributor->ca-distributor"]
    ban_days_history = day(s, "2020-04-06") - ban  # 3
    grey_days_history = day(s, "2020-04-17") - ban  # 14
    history_max = (sum(cap(s, x) for x in three_m) * ban_days_history
                   + sum(cap(s, x) for x in grey) * grey_days_history)
    assert history_max == pytest.approx(551_000)
    hist = apply_variant(s, "history")
    no_dpa = borderflow.simulate(hist.model_copy(update={"policies": [
        p.model_copy(update={"enabled": p.enabled and p.id != "dpa-3m"}) for p in hist.policies]}))
    from_us_no_dpa = _from_us_of(no_dpa)
    assert 0 < from_us["no-controls"] - from_us_no_dpa <= history_max
    # the rated order crowds Canada's exports out of Aberdeen too (less than the ban days do,
    # now that the order from 3M's US plants is 13.5 M of the reported 180 M)
    assert from_us_no_dpa - from_us["history"] > 0.25 * history_max
    assert got["no-controls"] - got["history"] <= from_us["no-controls"] - from_us["history"]

    blocked = three_m + grey
    f0 = c.results["no-controls"].flows
    carried = float(f0[(f0["from"] + "->" + f0.to).isin(blocked) & (f0.day >= ban)].quantity.sum())
    china = ["cn-makers->on-distributor", "cn-makers->ca-distributor"]
    china_spare = sum((cap(s, x) * s.days - float(
        f0[(f0["from"] + "->" + f0.to) == x].quantity.sum())) * s.lane(x).yield_ for x in china)
    ban_loss = got["no-controls"] - got["ban-no-exemptions"]
    assert carried - china_spare <= ban_loss <= sum(cap(s, x) for x in blocked) * (s.days - ban)
    assert ban_loss > 8e6  # ~10 M of Canada's ~19 M N95 supply over the horizon
    history_loss = from_us["no-controls"] - from_us["history"]
    assert history_loss < 0.1 * ban_loss  # history costs Canada a tenth of what the ban would


def _from_us(c: Any, variant: str) -> float:
    """N95s shipped from US nodes to Canadian ones."""
    return _from_us_of(c.results[variant])


def _from_us_of(r: Any) -> float:
    s, f = r.scenario, r.flows
    f = f[f["from"].isin(nodes_in(s, US)) & f.to.isin(nodes_in(s, CANADA)) & (f.commodity == "n95")]
    return float(f.quantity.sum())


def test_the_ban_barely_helps_the_us(c: Any, s: Any) -> None:
    """What the ban keeps at home is the only extra US supply; the US shortage ends once the
    3M China imports land (mid-April), so it gains far less than it keeps, and far less than
    Canada loses."""
    us = nodes_in(s, US)
    kept = 0.0
    for v, sign in (("no-controls", 1), ("ban-no-exemptions", -1)):
        f = c.results[v].flows
        kept += sign * float(f[f["from"].isin(us) & ~f.to.isin(us) & (f.commodity == "n95")].quantity.sum())
    gain = unmet(c, "no-controls", US) - unmet(c, "ban-no-exemptions", US)
    us_demand = float(c.table[(c.table.variant == "no-controls") & c.table.region.isin(US)
                              & (c.table.commodity == "n95")].demand.sum())
    canada_hurt = unmet(c, "ban-no-exemptions", CANADA) - unmet(c, "no-controls", CANADA)
    assert 0 < gain < 0.1 * kept
    assert gain < 0.01 * us_demand
    assert gain < 0.2 * canada_hurt


# ---- retaliation: pulp and nurses -------------------------------------------------------------


def test_retaliation_fires_a_week_into_the_ban_and_never_in_history(c: Any, s: Any) -> None:
    """The ban starts on day 9 (3 April); after 7 full days in force (days 9-15) the
    retaliation fires on day 16 (10 April) and its measures start 3 days later (13 April)."""
    ret = next(p for p in s.policies if p.id == "ca-retaliation")
    fire = day(s, "2020-04-03") + ret.when.active_days
    assert fire == day(s, "2020-04-10") == 16
    pol = c.results["ban-and-retaliation"].policies.set_index("policy")
    assert pol.loc["ca-retaliation", "fired_day"] == fire
    for measure in ("ca-pulp-ban", "ca-nurse-closure"):
        assert pol.loc[measure, "first_day"] == fire + ret.after_days == day(s, "2020-04-13")
    for variant in ("no-controls", "history", "ban-no-exemptions"):
        pol = c.results[variant].policies.set_index("policy")
        assert pd.isna(pol.loc["ca-retaliation", "fired_day"])
        assert pol.loc["ca-pulp-ban", "active_days"] == 0
        assert pol.loc["ca-nurse-closure", "active_days"] == 0


def _made(c: Any, variant: str, plant: str) -> np.ndarray[Any, Any]:
    r = c.results[variant]
    net = r.network
    k = next(i for i in range(len(net.rec_node)) if net.nodes[net.rec_node[i]] == plant)
    return np.asarray(r.trace.produced[:, 0, k])


def test_the_pulp_ban_idles_the_us_mask_and_gown_plant_and_us_hospitals_feel_it(c: Any, s: Any) -> None:
    """The plant holds 7 days of pulp (its default order-up-to target, stock + in transit), so
    it makes its 1.5 M/day through day 19 + 6 = 25 and nothing after: 26 days, 39 M, against 98
    days, 147 M, without retaliation. The 108 M lost hit US hospitals, less the surplus they end
    with otherwise: no-controls serves every piece and ends holding the supply (starting stocks,
    the SNS's 15 M, Airbridge's 94 x 2 M and the plant's 147 M) less 98 days of 3.8 M demand.
    """
    plant = s.nodes["us-mask-gown-plant"]
    rate = constant(plant.produce["surgical"].capacity)  # [1,500,000]
    pulp_days = plant.stock["pulp"] / (rate * plant.produce["surgical"].inputs["pulp"])  # [7]
    assert pulp_days == pytest.approx(plant.target)
    start = c.results["ban-and-retaliation"].policies.set_index("policy").loc["ca-pulp-ban", "first_day"]
    last = int(start + pulp_days - 1)  # 25

    made = _made(c, "ban-and-retaliation", "us-mask-gown-plant")
    assert np.allclose(made[: last + 1], rate)
    assert np.allclose(made[last + 1:], 0.0)
    full = _made(c, "no-controls", "us-mask-gown-plant")
    assert np.allclose(full, rate)
    lost = float(full.sum() - made.sum())
    assert lost == pytest.approx(rate * (s.days - last - 1))  # 108 M
    assert np.allclose(_made(c, "ban-no-exemptions", "us-mask-gown-plant"), rate)  # ban alone: no effect

    us_sites = [n for n in nodes_in(s, US) if s.nodes[n].kind == "site"]
    demand = sum(constant(s.nodes[n].demand["surgical"]) for n in us_sites) * s.days
    airbridge = next(p for p in s.policies if p.id == "airbridge")
    supply = (sum(s.nodes[n].stock.get("surgical", 0.0) for n in nodes_in(s, US))
              + airbridge.units_per_flight * airbridge.flights.count + rate * s.days)
    surplus = supply - demand  # 24.2 M
    assert unmet(c, "no-controls", US, "surgical") == pytest.approx(0.0, abs=1.0)
    st = c.results["no-controls"].stocks
    end = st[(st.day == s.days - 1) & (st.commodity == "surgical") & st.node.isin(nodes_in(s, US))]
    assert float(end[["stock", "in_transit"]].sum().sum()) == pytest.approx(surplus, rel=1e-6)

    extra = unmet(c, "ban-and-retaliation", US, "surgical") - unmet(c, "no-controls", US, "surgical")
    assert lost - surplus <= extra <= lost  # [83.8 M, 108 M]; the run gives ~90 M
    for region in US:
        r = row(c, "ban-and-retaliation", region, "surgical")
        assert r.effect == "hurt" and r.delta_unmet_pct > 15


def test_retaliation_does_not_help_canada(c: Any) -> None:
    """The pulp ban and the nurse closure move no N95s: Canada is exactly as short as under
    the ban alone (and so is everyone else, in N95s)."""
    t = c.table[c.table.commodity == "n95"].set_index(["variant", "region"])
    assert np.allclose(t.loc["ban-and-retaliation"].unmet, t.loc["ban-no-exemptions"].unmet, atol=1.0)
    for region in CANADA:
        assert row(c, "ban-and-retaliation", region).delta_unmet == pytest.approx(
            row(c, "ban-no-exemptions", region).delta_unmet, abs=1.0)
        assert row(c, "ban-and-retaliation", region).delta_unmet_pct > 30


# ---- the DPA order and the export rules, lane by lane -----------------------------------------


def test_the_dpa_order_is_delivered_in_full_and_on_time(c: Any, s: Any) -> None:
    """DX, `even`: FEMA claims 33 M / 90 days = 366,667 a day from Aberdeen from 2 April,
    before anyone else, and the last units arrive on the due day (lead time 1)."""
    order = next(p for p in s.policies if p.id == "dpa-3m")
    per_day = order.quantity / (s.day(order.due) - s.day(order.start))
    for variant in ("history", "ban-no-exemptions", "ban-and-retaliation"):
        r = c.results[variant]
        o = r.orders.set_index("order").loc["dpa-3m"]
        assert o.rating == "DX" and o.supplier == "3m-aberdeen" and o.buyer == "fema"
        assert o.delivered == pytest.approx(order.quantity, rel=1e-9)
        assert o.shortfall == pytest.approx(0.0, abs=1e-3)
        assert o.filled_day == o.due_day == s.day(order.due)
        assert bool(o.on_time)
        k = next(i for i, cl in enumerate(r.network.policies.claims) if cl.id == "dpa-3m")
        claimed = np.asarray(r.trace.claimed[:, 0, k])
        assert np.allclose(claimed[s.day(order.start):], per_day)
        assert np.allclose(claimed[: s.day(order.start)], 0.0)
    nc = c.results["no-controls"].orders.set_index("order").loc["dpa-3m"]
    assert nc.delivered == 0.0  # switched off in the baseline


def _constraint(c: Any, variant: str, date: str, lane: str) -> pd.Series:
    k = c.results[variant].constraints
    rows = k[(k.date == dt.date.fromisoformat(date)) & (k.lane == lane)]
    assert len(rows) == 1, f"no record of {lane} on {date} in {variant}"
    return rows.iloc[0]


def test_the_ban_holds_the_ontario_bound_shipment_from_south_dakota_on_5_april(c: Any) -> None:
    for variant in ("ban-no-exemptions", "history"):
        k = _constraint(c, variant, "2020-04-05", "3m-aberdeen->on-distributor")
        assert k.reason == "policy:us-export-ban"
        assert k.requested > 0 and k.allowed == 0 and k.shipped == 0
    # history: the 6 April deal exempts 3M's lane; the standing ban does not
    k = _constraint(c, "history", "2020-04-06", "3m-aberdeen->on-distributor")
    assert k.reason != "policy:us-export-ban" and k.shipped > 0
    k = _constraint(c, "ban-no-exemptions", "2020-04-06", "3m-aberdeen->on-distributor")
    assert k.reason == "policy:us-export-ban" and k.shipped == 0


def test_history_phases_block_brokers_then_exempt_canada_and_mexico(c: Any) -> None:
    """6-17 April: only 3M's lanes are exempt; from 17 April brokers and distributors may sell
    to Canada and Mexico but not to the rest of Latin America (anti-diversion)."""
    for lane in ("us-broker->on-distributor", "us-distributor->ca-distributor"):
        k = _constraint(c, "history", "2020-04-10", lane)
        assert k.reason == "policy:us-export-rule-3m-deal" and k.shipped == 0
    assert _constraint(c, "history", "2020-04-10", "3m-valley->latam-distributor").shipped > 0
    assert _constraint(c, "history", "2020-04-20", "us-broker->on-distributor").shipped > 0
    assert _constraint(c, "history", "2020-04-20", "us-broker->mx-distributor").shipped > 0
    k = _constraint(c, "history", "2020-04-20", "us-broker->latam-distributor")
    assert k.reason == "policy:us-anti-diversion" and k.shipped == 0
    # so in history the rest of Latin America is hurt, Mexico barely
    assert row(c, "history", "latam").delta_unmet > 5 * row(c, "history", "mx").delta_unmet > 0
