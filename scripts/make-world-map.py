"""Write src/borderflow/report/world.json, the country outlines the report's map draws.

Source: Natural Earth's 1:110m Admin 0 countries (public domain, naturalearthdata.com), as
geopandas 0.14 shipped it (geopandas/datasets/naturalearth_lowres/naturalearth_lowres.shp in
its wheel on PyPI: `pip download --no-deps geopandas==0.14.4`, then unzip). Read with pyshp
(`pip install pyshp`); neither is a dependency of borderflow: this script runs once, by hand,
and its output is package data. Coordinates are rounded to 0.01 degree.

    python scripts/make-world-map.py PATH/TO/naturalearth_lowres.shp
"""

from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path

import shapefile  # pyshp

OUT = Path(__file__).resolve().parents[1] / "src" / "borderflow" / "report" / "world.json"


def main(shp: str) -> None:
    reader = shapefile.Reader(shp)
    fields = [f[0] for f in reader.fields[1:]]
    countries = []
    for record, shape in zip(reader.records(), reader.shapes(), strict=True):
        row = dict(zip(fields, record, strict=True))
        parts = [*shape.parts, len(shape.points)]
        rings = [[[round(x, 2), round(y, 2)] for x, y in shape.points[a:b]]
                 for a, b in itertools.pairwise(parts)]
        countries.append({"name": row["name"], "iso_a3": row["iso_a3"], "rings": rings})
    doc = {"source": "Natural Earth 1:110m Admin 0 countries (naturalearthdata.com), via "
                     "geopandas 0.14.4's naturalearth_lowres; coordinates rounded to 0.01 degree",
           "licence": "public domain (Natural Earth's terms of use)",
           "countries": countries}
    OUT.write_text(json.dumps(doc, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {OUT}: {len(countries)} countries, {OUT.stat().st_size / 1024:.0f} KiB")


if __name__ == "__main__":
    main(sys.argv[1])
