#!/usr/bin/env python3
"""Load every file of a ghostload dataset directory with pandas, polars,
DuckDB, GeoPandas and GDAL (via pyogrio) (whichever import), passing nothing but the path, and
check row counts and column names against generation_report.json.

Usage: python3 scripts/check_readers.py DIR
Exit 0 when every available reader agrees; 1 on any mismatch; 3 when no
reader library can be imported.
"""
import json
import os
import sys


def pd_free_header(path):
    """The header row of a CSV file, read without any library."""
    with open(path, encoding="utf-8") as f:
        return f.readline().rstrip("\n").split(",")


def main(d):
    report = json.load(open(os.path.join(d, "generation_report.json"), encoding="utf-8"))
    cfg = report["config"]
    n_tx, n_m, n_months = cfg["num_transformers"], cfg["num_meters"], cfg["num_months"]
    n_labels = report["summary"]["anomalous_meters"]
    tx_cols = ["transformer_id", "feeder_id", "barangay", "lat", "lon", "capacity_kVA", "num_meters"]
    m_fixed = ["meter_id", "transformer_id", "customer_class", "barangay", "lat", "lon", "kVA"]
    l_cols = ["meter_id", "anomaly_flag", "risk_band", "anomaly_type", "onset", "severity", "end", "is_theft"]
    e_cols = ["meter_id", "event_type", "is_theft", "onset", "end", "severity", "anomaly_flag"]
    expect = {
        "transformers.csv": (n_tx, tx_cols),
        "meter_consumption.csv": (n_m, None),
        "anomaly_labels.csv": (n_labels, l_cols),
        "events.csv": (n_labels + report["summary"]["benign_meters"], e_cols),
    }
    # The energy-balance files (monthly resolution, whole dataset), when written.
    balance = report.get("energy_balance")
    if balance is not None:
        months = [c for c in pd_free_header(os.path.join(d, "transformer_readings.csv")) if c.startswith("monthly_")]
        assert len(months) == n_months, f"transformer_readings.csv: {months}"
        eb_cols = ["transformer_id", "feeder_id", "month", "reading_kwh", "billed_kwh", "true_kwh",
                   "transformer_loss_kwh", "line_loss_kwh", "technical_loss_kwh", "unmetered_kwh",
                   "meter_error_kwh", "non_technical_loss_kwh", "residual_kwh", "theft_meters", "anomalous_meters"]
        expect.update({
            "transformer_readings.csv": (n_tx, ["transformer_id", "feeder_id"] + months),
            "energy_balance.csv": (n_tx * n_months, eb_cols),
            "feeder_readings.csv": (balance["feeders"], ["feeder_id"] + months),
            "meter_consumption_true.csv": (n_labels, ["meter_id"] + months),
        })

    def check_csv(reader, name, rows, cols):
        want_rows, want_cols = expect[name]
        assert rows == want_rows, f"{reader} {name}: {rows} rows, expected {want_rows}"
        if want_cols is None:
            assert cols[:7] == m_fixed, f"{reader} {name}: {cols[:7]}"
            months = [c for c in cols if c.startswith("monthly_consumption_")]
            assert len(months) == n_months and months == cols[7:], f"{reader} {name}: {months}"
        else:
            assert cols == want_cols, f"{reader} {name}: {cols}"
        print(f"ok {reader:9} {name}: {rows} rows, {len(cols)} columns")

    used = 0
    try:
        import pandas as pd
        used += 1
        for name in expect:
            df = pd.read_csv(os.path.join(d, name))
            check_csv("pandas", name, len(df), list(df.columns))
        m = pd.read_csv(os.path.join(d, "meter_consumption.csv"))
        cons = m.filter(like="monthly_consumption_")
        assert all(str(t) == "float64" for t in cons.dtypes), cons.dtypes
        assert m["lat"].dtype == "float64"
        json.load(open(os.path.join(d, "generation_report.json"), encoding="utf-8"))
    except ImportError:
        print("pandas not available")
    try:
        import polars as pl
        used += 1
        for name in expect:
            df = pl.read_csv(os.path.join(d, name))
            check_csv("polars", name, df.height, df.columns)
    except ImportError:
        print("polars not available")
    try:
        import duckdb
        used += 1
        con = duckdb.connect()
        for name in expect:
            path = os.path.join(d, name).replace("'", "''")
            rows = con.sql(f"SELECT count(*) FROM '{path}'").fetchall()[0][0]
            cols = con.sql(f"SELECT * FROM '{path}' LIMIT 0").columns
            check_csv("duckdb", name, rows, cols)
    except ImportError:
        print("duckdb not available")
    try:
        import geopandas as gpd
        used += 1
        g = gpd.read_file(os.path.join(d, "transformers.geojson"))
        assert len(g) == n_tx, f"geopandas: {len(g)} features"
        for c in ["transformer_id", "feeder_id", "barangay", "capacity_kVA", "num_meters", "meter_ids"]:
            assert c in g.columns, f"geopandas: no {c} in {list(g.columns)}"
        if balance is not None:
            for c in ["theft_meters", "anomalous_meters", "stolen_kwh", "ntl_share", "peak_loading", "overloaded"]:
                assert c in g.columns, f"geopandas: no ghost-load property {c} in {list(g.columns)}"
            assert int(g["overloaded"].sum()) == len(balance["overloaded"]), "overloaded transformers"
        assert (g.geometry.geom_type == "Point").all()
        b = cfg["bounds"]
        assert g.geometry.x.between(b["lon_min"], b["lon_max"]).all(), "x is longitude"
        assert g.geometry.y.between(b["lat_min"], b["lat_max"]).all(), "y is latitude"
        print(f"ok geopandas transformers.geojson: {len(g)} features, {len(g.columns)} columns")
    except ImportError:
        print("geopandas not available")
    try:
        import pyogrio  # GDAL/OGR, as bundled with GeoPandas
        used += 1
        for name in expect:
            df = pyogrio.read_dataframe(os.path.join(d, name))
            cols = [c for c in df.columns if c != "geometry"]
            check_csv("gdal", name, len(df), cols)
        info = pyogrio.read_info(os.path.join(d, "transformers.geojson"))
        assert info["features"] == n_tx and info["geometry_type"] == "Point", info
        print(f"ok gdal      transformers.geojson: {info['features']} features, driver {info['driver']}")
    except ImportError:
        print("pyogrio (GDAL) not available")
    if used == 0:
        print("no reader library available")
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "generated_data"))
