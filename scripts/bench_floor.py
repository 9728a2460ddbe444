#!/usr/bin/env python3
"""A copy of the programme's shared ../shared/bench/floor.py (unchanged
below this paragraph), compiled into tafteesh so `tafteesh bench` can
measure the floor beside the run on any machine; `--floor-script` runs
another copy.

The floor's speed depends on polars' version: polars 2.1 reads the
100,000-survivor inbox in 1.8 s where the 1.x of earlier sittings took
2.7-3.0 s. Figures are stated against the pinned versions, in a venv:

    python3 -m venv ~/.cache/tafteesh-floor
    ~/.cache/tafteesh-floor/bin/pip install polars==2.1.0 fastexcel==0.21.0
    tafteesh bench --floor-python ~/.cache/tafteesh-floor/bin/python

`tafteesh bench` prints the versions the floor ran with.

The ingest floor: what a competent user gets with polars alone, reading every
inbox file that a pipeline claims (all columns as text, as tafteesh does) and
writing it to Parquet. No cleaning, no linkage, no warehouse. The nightly run's
performance goal is stated as a ratio to this.

usage: floor.py CONFIG_DIR OUT_DIR    (CONFIG_DIR holds tafteesh.toml and pipelines/)
prints one JSON line: files, rows, bytes, seconds
"""
import glob, io, json, os, sys, time, tomllib

import polars as pl


def main():
    cfg_dir, out = sys.argv[1], sys.argv[2]
    cfg = tomllib.load(open(os.path.join(cfg_dir, "tafteesh.toml"), "rb"))
    inbox = os.path.join(cfg_dir, cfg.get("inbox", "inbox"))
    pipes = os.path.join(cfg_dir, cfg.get("pipelines", "pipelines"))
    os.makedirs(out, exist_ok=True)
    t0 = time.perf_counter()
    files = rows = size = 0
    for p in sorted(glob.glob(os.path.join(pipes, "*.toml"))):
        pipe = tomllib.load(open(p, "rb"))
        for i, src in enumerate(pipe["sources"]):
            for f in sorted(glob.glob(os.path.join(inbox, src["files"]), recursive=True)):
                hdr = src.get("header_row", 1) - 1
                if src["format"] == "xlsx":
                    df = pl.read_excel(f, sheet_name=src.get("sheet"), engine="calamine",
                                       infer_schema_length=0, read_options={"header_row": hdr})
                else:
                    raw = open(f, "rb").read()
                    enc = src.get("encoding", "auto")
                    if raw.startswith(b"\xff\xfe") or raw.startswith(b"\xfe\xff") or enc == "utf-16":
                        text = raw.decode("utf-16")
                    elif enc in ("windows-1252", "cp1252"):
                        text = raw.decode("cp1252")
                    else:
                        try:
                            text = raw.decode("utf-8-sig")
                        except UnicodeDecodeError:
                            text = raw.decode("cp1252")
                    d = src.get("delimiter", ",")
                    d = "\t" if d == "tab" else d
                    df = pl.read_csv(io.StringIO(text), separator=d, infer_schema=False,
                                     skip_rows=hdr, truncate_ragged_lines=True)
                df.write_parquet(os.path.join(out, f"{pipe['partner_id']}_{i}_{files}.parquet"))
                files += 1
                rows += df.height
                size += os.path.getsize(f)
    print(json.dumps({"files": files, "rows": rows, "bytes": size,
                      "seconds": round(time.perf_counter() - t0, 3)}))


if __name__ == "__main__":
    main()
