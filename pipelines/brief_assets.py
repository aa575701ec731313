"""The `marts/market_briefs` asset: one HTML brief per market, plus an index, written to a folder.

Rendering lives in `pipelines.briefs` (no Dagster there); this module only decides when briefs are
rebuilt (after findings and consensus, so a brief never shows a stale consensus or a finding that
is already resolved) and where they go.

Wiring (pipelines/definitions.py): add `*brief_assets` to the assets and
`"briefs": BriefsResource()` to the resources.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg
import polars as pl

from pipelines import paths
from pipelines.assets import CONSENSUS_KEY, FINDINGS_KEY, markdown_table
from pipelines.briefs import (
    GENERATOR,
    brief_filenames,
    list_markets,
    load_brief_data,
    render_brief,
    render_index,
    summarize,
)
from pipelines.resources import DUCKDB_POOL, WarehouseResource

BRIEFS_KEY = dg.AssetKey(["marts", "market_briefs"])
INDEX_NAME = "index.html"


class BriefsResource(dg.ConfigurableResource):
    """Where market briefs are written.

    `briefs_dir` left empty means `<data dir>/briefs`, resolved when the asset runs (not when the
    code loads), so MARKETINTEL_DATA set for a run is honoured.
    """

    briefs_dir: str | None = None

    def folder(self) -> Path:
        return Path(self.briefs_dir) if self.briefs_dir else paths.data_dir() / "briefs"


def _write(path: Path, text: str) -> None:
    """Write through a temporary file and rename, so a reader never opens half a page."""
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _is_ours(path: Path) -> bool:
    """Whether a file in the folder is a brief we wrote (only those are ever deleted)."""
    try:
        with path.open("r", encoding="utf-8", errors="replace") as f:
            head = f.read(2048)
    except OSError:
        return False
    return f'<meta name="generator" content="{GENERATOR}">' in head


def write_briefs(warehouse: WarehouseResource, folder: Path) -> pl.DataFrame:
    """Render every market's brief and the index into `folder`; returns one row per brief.

    Briefs of markets that are gone from the warehouse are removed, so the folder always matches
    the last run; files someone else put there are left alone.
    """
    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    with warehouse.connect() as con:
        markets = list_markets(con)
        data = [load_brief_data(con, m) for m in markets]
    files = brief_filenames(markets)
    summaries = []
    for d in data:
        target = folder / files[d.market]
        _write(target, render_brief(d))
        summaries.append({**summarize(d), "file": files[d.market], "path": str(target)})
    _write(folder / INDEX_NAME, render_index(summaries, files, now))
    keep = {*files.values(), INDEX_NAME}
    for stale in folder.glob("*.html"):
        if stale.name not in keep and _is_ours(stale):
            stale.unlink()
    return pl.DataFrame(
        summaries,
        schema={"market": pl.String, "file": pl.String, "path": pl.String, "latest_size": pl.String,
                "size_claims": pl.Int64, "sources": pl.Int64, "documents": pl.Int64, "outliers": pl.Int64,
                "open_findings": pl.Int64},
    )


@dg.asset(
    key=BRIEFS_KEY,
    deps=[FINDINGS_KEY, CONSENSUS_KEY],
    group_name="reports",
    kinds={"html", "duckdb"},
    pool=DUCKDB_POOL,
)
def market_briefs(warehouse: WarehouseResource, briefs: BriefsResource) -> dg.MaterializeResult:
    """One self-contained HTML page per market for analysts: sizes by source against the consensus,
    growth rates, regional shares, key companies and open findings, every figure linked to its
    quote and document; plus index.html listing them. No JavaScript and no network requests, so a
    brief can be mailed or opened from a shared drive as it is.
    """
    folder = briefs.folder()
    written = write_briefs(warehouse, folder)
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": written.height,
            "briefs": written.height,
            "briefs_dir": dg.MetadataValue.path(str(folder)),
            "index": dg.MetadataValue.path(str(folder / INDEX_NAME)),
            "paths": dg.MetadataValue.json(written["path"].to_list()),
            "with_open_findings": written.filter(pl.col("open_findings") > 0).height,
            "preview": dg.MetadataValue.md(
                markdown_table(written, ["market", "file", "latest_size", "sources", "outliers", "open_findings"])
            ),
        }
    )


brief_assets = [market_briefs]
