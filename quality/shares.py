"""Regional-share rules: claims about one region's share that cannot all be true, or need a second look.

A share claim is rarely a point. "Over 80%" means (80, 100]; "nearly 70%" means a little under 70;
a bare "30%" was rounded from somewhere in [29.5, 30.5]. Each claim therefore becomes an interval
(`lo`, `hi`, with open or closed ends) and the rules reason about intervals:

* `share_conflict` — two claims about the same region, comparable metric and year whose intervals
  do not overlap cannot both hold (error). Claims that overlap but whose stated figures are far
  apart, or a document that gives one region two different shares of related metrics ("over 80% of
  refined output" beside "over 70% of production in 2024"), are set side by side (warn).
* `share_sum_over_100` — regions that do not contain one another cannot together hold more than
  100% of one metric: the lower bounds of their shares must not sum past 100 (error).
* `child_share_exceeds_parent` — a country cannot hold more of a metric than the region around
  it: China's lower bound above Asia-Pacific's upper bound is an error.

Metric labels are free text ("refined rare earth output", "refining capacity", "share of U.S.
imports"); they are grouped into families first, and only claims of one family are compared for
conflicts. Supply-side families (production, refining, capacity) describe the world's physical
commodity, so they compare across documents. The other families (market revenue, demand, trade)
are shares *of the document's own market* ("45% of the magnet market"), so across documents they
compare only when both documents are about the same market.
"""

from __future__ import annotations

import json

import polars as pl

from quality.findings import empty_findings, findings_from_rows, fingerprint
from transforms.regions import WORLD, hierarchy_table, normalize_regions

SHARE_CONFLICT = "share_conflict"
SHARE_SUM = "share_sum_over_100"
CHILD_SHARE = "child_share_exceeds_parent"

# Interval widths, in percentage points. "approximately 60" is 60 +/- 5% of itself (at least a
# point, and never narrower than rounding): [57, 63]. "nearly 70" is up to 10% of itself below
# (between 1 and 5 points): [65, 70). A bare figure is a rounding band: half its last digit.
APPROX_REL = 0.05
APPROX_MIN_PP = 1.0
NEARLY_REL = 0.10
NEARLY_MIN_PP = 1.0
NEARLY_MAX_PP = 5.0
# Overlapping claims whose stated figures are this far apart are shown side by side (warn):
# "over 50%" and "about 85%" can both hold, but an analyst should know the sources diverge.
WIDE_PP = 20.0
_EPS = 1e-9

# Family of a metric label: first pattern that matches wins, so "refined output" is refining (not
# production) and "share of U.S. imports" is imports (not market share).
METRIC_FAMILIES: tuple[tuple[str, str], ...] = (
    ("imports", r"import"),
    ("exports", r"export"),
    ("refining", r"refin|process|separat|smelt|purif"),
    ("capacity", r"capacit"),
    ("demand", r"demand|consum|\busage\b|\buse\b"),
    ("production", r"produc|output|supply|\bmin(?:e|ed|es|ing)\b|extract"),
    ("market", r"market|revenue|sales|\bshare\b|\bvalue\b|spend"),
)
# Families about the physical commodity worldwide: comparable across documents about any market.
GLOBAL_FAMILIES = ("production", "refining", "capacity")
# Different metrics of one side of the chain that one document should not leave unexplained.
RELATED_FAMILIES = {"production": "supply", "refining": "supply", "capacity": "supply",
                    "demand": "demand", "market": "demand"}
# "Other", "Rest of world": the remainder of one document's own list, meaningless across documents.
_REMAINDER = r"^(?:all\s+)?(?:others?|rest of(?: the)? world|row|remaining(?: \w+)?|other (?:countries|regions))$"
# "Over 85% ... is located in a single region": a place the text does not name. Two of these need
# not be the same place, so they are never compared or added.
_UNNAMED = r"unnamed|^(?:a single|one|a|another|single)\s+(?:region|country|nation|jurisdiction|place)\b"

# The words before "Market" in a title ("Rare Earth Recycling Market to Reach ..."). A local rule
# rather than transforms.markets, whose helpers are still changing; valuations come first anyway.
_TITLE_MARKET = r"(?i)((?:[a-z][\w&'’/.\-]*\s+){1,6})markets?\b"

_QUALIFIER_SYNONYMS = {
    "more_than": "over", "more than": "over", "above": "over", "greater_than": "over", "exceeding": "over",
    "less_than": "under", "less than": "under", "below": "under",
    "about": "approximately", "around": "approximately", "approx": "approximately", "roughly": "approximately",
    "almost": "nearly", "close_to": "nearly",
    "at least": "at_least", "minimum": "at_least", "up to": "up_to", "maximum": "up_to", "at_most": "up_to",
}
_QUALIFIER_WORDS = {"over": "over ", "under": "under ", "approximately": "approximately ", "nearly": "nearly ",
                    "at_least": "at least ", "up_to": "up to ", "exact": ""}

_CLAIM_SCHEMA = {
    "key": pl.String, "doc_id": pl.String, "quote": pl.String, "region": pl.String, "canonical": pl.String,
    "subject": pl.String, "remainder": pl.Boolean, "metric": pl.String, "family": pl.String,
    "year": pl.Int32, "qualifier": pl.String, "v": pl.Float64, "lo": pl.Float64, "hi": pl.Float64,
    "lo_open": pl.Boolean, "hi_open": pl.Boolean, "basis": pl.String,
}


def metric_family(metric: pl.Expr) -> pl.Expr:
    """Family of a metric label (see METRIC_FAMILIES); "unspecified" when there is none, else
    "other:<label>" so that unknown labels compare only with the same label."""
    label = metric.str.to_lowercase().str.replace_all(r"[^\w%/ ]+", " ").str.replace_all(r"\s+", " ").str.strip_chars()
    expr = pl.when(label.is_null() | (label == "")).then(pl.lit("unspecified"))
    for family, pattern in METRIC_FAMILIES:
        expr = expr.when(label.str.contains(pattern)).then(pl.lit(family))
    return expr.otherwise(pl.lit("other:") + label)


def _qualifier(expr: pl.Expr) -> pl.Expr:
    q = expr.str.to_lowercase().str.strip_chars()
    return q.replace(_QUALIFIER_SYNONYMS).fill_null("exact").replace({"": "exact", "exactly": "exact"})


def _interval_columns() -> list[pl.Expr]:
    """lo, hi, lo_open, hi_open of each claim from its figure `v` and `qualifier` (clipped to 0-100)."""
    v, q = pl.col("v"), pl.col("qualifier")
    half_unit = (
        pl.when((v - v.round(0)).abs() < _EPS).then(0.5)
        .when((v * 10 - (v * 10).round(0)).abs() < _EPS).then(0.05)
        .otherwise(0.005)
    )
    approx = pl.max_horizontal(v * APPROX_REL, pl.lit(APPROX_MIN_PP), half_unit)
    nearly = (v * NEARLY_REL).clip(NEARLY_MIN_PP, NEARLY_MAX_PP)
    lo = (
        pl.when(q.is_in(["over", "at_least"])).then(v)
        .when(q.is_in(["under", "up_to"])).then(0.0)
        .when(q == "approximately").then(v - approx)
        .when(q == "nearly").then(v - nearly)
        .otherwise(v - half_unit)
    )
    hi = (
        pl.when(q.is_in(["over", "at_least"])).then(100.0)
        .when(q.is_in(["under", "up_to", "nearly"])).then(v)
        .when(q == "approximately").then(v + approx)
        .otherwise(v + half_unit)
    )
    return [
        lo.clip(0.0, 100.0).alias("lo"),
        hi.clip(0.0, 100.0).alias("hi"),
        (q == "over").alias("lo_open"),
        q.is_in(["under", "nearly"]).alias("hi_open"),
    ]


def document_markets(documents: pl.DataFrame | None, valuations: pl.DataFrame | None) -> pl.DataFrame:
    """doc_id -> the market a document is about: the market it sizes most often, else its title's.

    Used as the basis of market/demand/trade shares, which are shares of that market.
    """
    schema = {"doc_id": pl.String, "doc_market": pl.String}
    frames = []
    if valuations is not None and not valuations.is_empty() and "market" in valuations.columns:
        frames.append(
            valuations.filter(pl.col("market").is_not_null())
            .group_by("doc_id", "market").agg(pl.len().alias("n"), pl.col("start").min().alias("first"))
            .sort("doc_id", "n", "first", descending=[False, True, False])
            .group_by("doc_id", maintain_order=True).agg(pl.col("market").first().alias("doc_market"))
            .with_columns(market_key(pl.col("doc_market")).alias("doc_market"))
        )
    if documents is not None and not documents.is_empty() and "title" in documents.columns:
        frames.append(
            documents.select("doc_id", market_key(pl.col("title").str.extract(_TITLE_MARKET, 1)).alias("doc_market"))
            .filter(pl.col("doc_market").is_not_null())
        )
    if not frames:
        return pl.DataFrame(schema=schema)
    return pl.concat([f.cast(schema) for f in frames]).unique("doc_id", keep="first", maintain_order=True)


def market_label(expr: pl.Expr) -> pl.Expr:
    """A market name for messages: lower case, without "global", "market", "size" or punctuation."""
    return (
        expr.str.to_lowercase()
        .str.replace_all(r"\((?:global|worldwide)\)", " ")
        .str.replace_all(r"\b(?:the|global|worldwide|world|markets?|size|industry)\b", " ")
        .str.replace_all(r"(\w)-(\w)", "${1} ${2}")
        .str.replace_all(r"[^\w&/ ]+", " ")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
        .replace("", None)
    )


def market_key(expr: pl.Expr) -> pl.Expr:
    """Comparable market name: `market_label` with plurals folded ("Permanent Magnets Market" and
    "permanent magnet" are one market)."""
    return market_label(expr).str.replace_all(r"\b(\w+[^s\W])s\b", "${1}")


def share_claims(shares: pl.DataFrame, doc_markets: pl.DataFrame | None = None) -> pl.DataFrame:
    """One row per distinct claim: region (canonical where the region dimension knows it), metric
    family, year, stated figure and its interval, and `basis` (what the share is a share of).

    A claim repeated word for word in one document (title, summary, FAQ) is kept once.
    """
    if shares.is_empty():
        return pl.DataFrame(schema=_CLAIM_SCHEMA)
    markets = doc_markets if doc_markets is not None else pl.DataFrame(
        schema={"doc_id": pl.String, "doc_market": pl.String})
    written = pl.col("region").str.strip_chars()
    claims = (
        shares.filter(pl.col("share_pct").is_not_null() & pl.col("region").is_not_null())
        .filter(~pl.col("region").str.to_lowercase().str.contains(_UNNAMED))
        .sort("doc_id", "start")
        .select(
            (pl.col("doc_id") + ":" + pl.col("start").cast(pl.String) + "-" + pl.col("end").cast(pl.String))
            .alias("key"),
            "doc_id", "quote",
            written.alias("region"),
            normalize_regions(written).alias("canonical"),
            written.str.to_lowercase().str.contains(_REMAINDER).alias("remainder"),
            "metric",
            metric_family(pl.col("metric")).alias("family"),
            pl.col("year").cast(pl.Int32),
            _qualifier(pl.col("qualifier")).alias("qualifier"),
            pl.col("share_pct").cast(pl.Float64).alias("v"),
        )
        .filter(pl.col("v").is_between(0.0, 100.0))
        .with_columns(
            pl.coalesce("canonical", pl.col("region").str.to_lowercase()).alias("subject"),
        )
        .with_columns(_interval_columns())
        .unique(["doc_id", "subject", "family", "year", "qualifier", "v"], keep="first", maintain_order=True)
        .join(markets.select("doc_id", "doc_market"), on="doc_id", how="left")
        .with_columns(
            pl.when(pl.col("family").is_in(GLOBAL_FAMILIES)).then(pl.lit("*"))
            .otherwise(pl.coalesce(pl.lit("market:") + pl.col("doc_market"), pl.lit("doc:") + pl.col("doc_id")))
            .alias("basis")
        )
        .drop("doc_market")
    )
    return claims.select(list(_CLAIM_SCHEMA)).cast(_CLAIM_SCHEMA)


def _figure(qualifier: str, v: float) -> str:
    """ "over 80%", "approximately 60%", "30%"."""
    return f"{_QUALIFIER_WORDS.get(qualifier, '')}{v:g}%"


def _describe(qualifier: str, v: float, metric: str | None, year: int | None) -> str:
    what = metric or "an unstated metric"
    when = f" in {year}" if year is not None else ""
    return f"{_figure(qualifier, v)} of {what}{when}"


def _interval(lo: float, hi: float, lo_open: bool, hi_open: bool) -> str:
    return f"{'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"


def _claim_evidence(r: dict, suffix: str = "") -> dict:
    return {
        "doc_id": r[f"doc_id{suffix}"], "region": r[f"region{suffix}"], "metric": r[f"metric{suffix}"],
        "family": r.get(f"family{suffix}", r["family"]), "year": r[f"year{suffix}"],
        "qualifier": r[f"qualifier{suffix}"],
        "share_pct": r[f"v{suffix}"], "interval": [round(r[f"lo{suffix}"], 4), round(r[f"hi{suffix}"], 4)],
        "open": [r[f"lo_open{suffix}"], r[f"hi_open{suffix}"]],
    }


def _disjoint(a: str = "", b: str = "_b") -> pl.Expr:
    """Whether claim intervals a and b share no value (touching ends count only if both are closed)."""
    def below(x: str, y: str) -> pl.Expr:  # x lies wholly below y
        gap = pl.col(f"lo{y}") - pl.col(f"hi{x}")
        return (gap > _EPS) | ((gap.abs() <= _EPS) & (pl.col(f"hi_open{x}") | pl.col(f"lo_open{y}")))
    return below(a, b) | below(b, a)


def _years_compatible(a: str = "year", b: str = "year_b") -> pl.Expr:
    return pl.col(a).is_null() | pl.col(b).is_null() | (pl.col(a) == pl.col(b))


def _subject_name(r: dict) -> str:
    return r["canonical"] or r["region"]


# ---------------------------------------------------------------------------------------------
# share_conflict


def share_conflicts(claims: pl.DataFrame, wide_pp: float = WIDE_PP) -> pl.DataFrame:
    """Pairs of claims about one region that cannot both hold (error) or should be read together (warn)."""
    usable = claims.filter(~pl.col("remainder"))
    if usable.height < 2:
        return empty_findings()
    pairs = (
        usable.join(usable, on="subject", suffix="_b")
        .filter(pl.col("key") < pl.col("key_b"))
        .filter(_years_compatible())
        .with_columns(
            (pl.col("family") == pl.col("family_b")).alias("same_family"),
            (pl.col("doc_id") == pl.col("doc_id_b")).alias("same_doc"),
            _disjoint().alias("disjoint"),
            pl.col("family").replace_strict(RELATED_FAMILIES, default=None).alias("side"),
            pl.col("family_b").replace_strict(RELATED_FAMILIES, default=None).alias("side_b"),
        )
        .with_columns(
            pl.when(pl.col("same_family") & (pl.col("basis") == pl.col("basis_b")) & pl.col("disjoint"))
            .then(pl.lit("conflict"))
            .when(pl.col("same_family") & (pl.col("basis") == pl.col("basis_b"))
                  & ((pl.col("v") - pl.col("v_b")).abs() >= wide_pp))
            .then(pl.lit("wide"))
            .when(~pl.col("same_family") & pl.col("same_doc") & (pl.col("side") == pl.col("side_b"))
                  & ((pl.col("v") != pl.col("v_b")) | (pl.col("qualifier") != pl.col("qualifier_b"))))
            .then(pl.lit("metrics"))
            .alias("kind")
        )
        .filter(pl.col("kind").is_not_null())
        .sort("subject", "key", "key_b")
    )
    if pairs.is_empty():
        return empty_findings()
    rows = []
    for r in pairs.iter_rows(named=True):
        subject = _subject_name(r)
        a = f"\"{_describe(r['qualifier'], r['v'], r['metric'], r['year'])}\""
        b = f"\"{_describe(r['qualifier_b'], r['v_b'], r['metric_b'], r['year_b'])}\""
        where = "in one document" if r["same_doc"] else "in two documents"
        if r["kind"] == "conflict":
            severity = "error"
            ia = _interval(r["lo"], r["hi"], r["lo_open"], r["hi_open"])
            ib = _interval(r["lo_b"], r["hi_b"], r["lo_open_b"], r["hi_open_b"])
            message = (f"{subject}: {a} and {b} ({where}) cannot both hold: the share would have to lie "
                       f"in {ia} and in {ib}")
        elif r["kind"] == "wide":
            severity = "warn"
            message = (f"{subject}: {a} and {b} ({where}) can both hold but are "
                       f"{abs(r['v'] - r['v_b']):g} points apart; compare the sources")
        else:
            severity = "warn"
            message = (f"{subject}: one document gives {a} ({r['family']}) and {b} ({r['family_b']}); "
                       f"different metrics for the same region, read them side by side")
        evidence = {"kind": r["kind"], "claims": [_claim_evidence(r), _claim_evidence(r, "_b")]}
        rows.append({
            "finding_id": fingerprint(SHARE_CONFLICT, r["subject"], *sorted([r["key"], r["key_b"]])),
            "rule": SHARE_CONFLICT, "severity": severity, "subject": subject, "message": message,
            "doc_ids": list(dict.fromkeys([r["doc_id"], r["doc_id_b"]])),
            "quotes": [r["quote"], r["quote_b"]], "evidence": json.dumps(evidence),
        })
    return findings_from_rows(rows)


# ---------------------------------------------------------------------------------------------
# child_share_exceeds_parent


def child_share_excesses(claims: pl.DataFrame) -> pl.DataFrame:
    """A region's share whose lower bound is above the upper bound of a region that contains it."""
    placed = claims.filter(pl.col("canonical").is_not_null() & (pl.col("canonical") != WORLD))
    if placed.height < 2:
        return empty_findings()
    pairs = (
        placed.join(hierarchy_table(), left_on="canonical", right_on="region")
        .join(placed, left_on=["ancestor", "family", "basis"], right_on=["canonical", "family", "basis"],
              suffix="_b")
        .filter(_years_compatible())
        .filter(
            (pl.col("lo") - pl.col("hi_b") > _EPS)
            | (((pl.col("lo") - pl.col("hi_b")).abs() <= _EPS) & (pl.col("lo_open") | pl.col("hi_open_b")))
        )
        .sort("canonical", "key", "key_b")
    )
    if pairs.is_empty():
        return empty_findings()
    rows = []
    for r in pairs.iter_rows(named=True):
        child = f"\"{_describe(r['qualifier'], r['v'], r['metric'], r['year'])}\""
        parent = f"\"{_describe(r['qualifier_b'], r['v_b'], r['metric_b'], r['year_b'])}\""
        where = "one document" if r["doc_id"] == r["doc_id_b"] else "two documents"
        message = (f"{r['canonical']} is given {child} but {r['ancestor']}, which contains it, only {parent} "
                   f"({where}); a part cannot hold more than the whole")
        evidence = {"child": _claim_evidence(r), "parent": _claim_evidence(r, "_b"),
                    "child_region": r["canonical"], "parent_region": r["ancestor"]}
        rows.append({
            "finding_id": fingerprint(CHILD_SHARE, r["canonical"], *sorted([r["key"], r["key_b"]])),
            "rule": CHILD_SHARE, "severity": "error", "subject": r["canonical"], "message": message,
            "doc_ids": list(dict.fromkeys([r["doc_id"], r["doc_id_b"]])),
            "quotes": [r["quote"], r["quote_b"]], "evidence": json.dumps(evidence),
        })
    return findings_from_rows(rows)


# ---------------------------------------------------------------------------------------------
# share_sum_over_100

_GROUP = ["scope", "family", "basis", "bucket"]


def _sum_nodes(claims: pl.DataFrame) -> pl.DataFrame:
    """Claims placed in groups (scope: one document, or "*" for all documents pooled; family; basis;
    year bucket), one node per region holding its most demanding claim.

    A claim without a year joins every year its group states (null year is compatible with any).
    "Other"/"Rest of world" rows count only within their own document.
    """
    usable = claims.filter(
        (pl.col("canonical").is_not_null() & (pl.col("canonical") != WORLD)) | pl.col("remainder")
    ).with_columns(
        pl.when(pl.col("remainder")).then(pl.lit("remainder:") + pl.col("doc_id"))
        .otherwise(pl.col("canonical")).alias("node")
    )
    scoped = pl.concat([
        usable.with_columns(pl.col("doc_id").alias("scope")),
        usable.filter(~pl.col("remainder")).with_columns(pl.lit("*").alias("scope")),
    ])
    years = scoped.filter(pl.col("year").is_not_null()).select("scope", "family", "basis", "year").unique()
    dated = scoped.filter(pl.col("year").is_not_null()).with_columns(pl.col("year").alias("bucket"))
    undated = (
        scoped.filter(pl.col("year").is_null())
        .join(years.rename({"year": "bucket"}), on=["scope", "family", "basis"], how="left")
    )
    return (
        pl.concat([dated, undated.select(dated.columns)])
        .sort([*_GROUP, "node", "lo", "key"], descending=[False, False, False, False, False, True, False],
              nulls_last=True)
        .unique([*_GROUP, "node"], keep="first", maintain_order=True)
    )


def _max_disjoint(nodes: pl.DataFrame) -> pl.DataFrame:
    """Per group, the set of mutually disjoint regions whose lower bounds sum highest, and that sum.

    Claimed regions form a forest under the hierarchy (parent = nearest claimed ancestor). The best
    sum under a region is either its own lower bound or the sum of its children's best sums; the
    depth is a handful of levels, so it is computed level by level, deepest first.
    """
    claimed = nodes.select(*_GROUP, pl.col("node").alias("ancestor"))
    parents = (
        nodes.select(*_GROUP, "node")
        .join(hierarchy_table(), left_on="node", right_on="region")
        .join(claimed, on=[*_GROUP, "ancestor"], how="semi")
        .group_by(*_GROUP, "node")
        .agg(pl.col("ancestor").sort_by("depth").first().alias("parent"), pl.len().alias("level"))
    )
    tree = nodes.join(parents, on=[*_GROUP, "node"], how="left").with_columns(
        pl.col("level").fill_null(0).cast(pl.Int64)
    )
    best_schema = {**{c: tree.schema[c] for c in _GROUP}, "node": pl.String, "parent": pl.String,
                   "best": pl.Float64, "chosen": pl.List(pl.String)}
    below = pl.DataFrame(schema=best_schema)
    max_level = int(tree["level"].max() or 0)
    for level in range(max_level, -1, -1):
        kids = below.group_by(*_GROUP, "parent").agg(
            pl.col("best").sum().alias("kids_best"),
            pl.col("chosen").list.explode(keep_nulls=False, empty_as_null=False).alias("kids_chosen"),
        )
        layer = (
            tree.filter(pl.col("level") == level)
            .join(kids, left_on=[*_GROUP, "node"], right_on=[*_GROUP, "parent"], how="left")
            .with_columns(
                pl.when(pl.col("kids_best").fill_null(-1.0) > pl.col("lo"))
                .then(pl.col("kids_best")).otherwise(pl.col("lo")).alias("best"),
                pl.when(pl.col("kids_best").fill_null(-1.0) > pl.col("lo"))
                .then(pl.col("kids_chosen")).otherwise(pl.concat_list(pl.col("key"))).alias("chosen"),
            )
        )
        below = layer.select(list(best_schema)).cast(best_schema)
    return below.group_by(*_GROUP).agg(
        pl.col("best").sum().alias("total"),
        pl.col("chosen").list.explode(keep_nulls=False, empty_as_null=False).sort().alias("chosen"),
    )


def share_sums_over_100(claims: pl.DataFrame) -> pl.DataFrame:
    """Disjoint regions whose share lower bounds for one metric and year add up to more than 100%.

    Checked per document and over all documents pooled; a pooled finding is only raised for a
    metric and year where no single document already exceeds 100 on its own.
    """
    nodes = _sum_nodes(claims)
    if nodes.height < 2:
        return empty_findings()
    sums = _max_disjoint(nodes).filter(pl.col("total") > 100.0 + _EPS)
    if sums.is_empty():
        return empty_findings()
    per_doc = sums.filter(pl.col("scope") != "*")
    pooled = sums.filter(pl.col("scope") == "*").join(
        per_doc.select("family", "basis", "bucket").unique(), on=["family", "basis", "bucket"],
        how="anti", nulls_equal=True,
    )
    sums = pl.concat([per_doc, pooled]).sort(*_GROUP, nulls_last=True)
    by_key = {r["key"]: r for r in claims.iter_rows(named=True)}
    rows = []
    for s in sums.iter_rows(named=True):
        members = sorted((by_key[k] for k in s["chosen"]), key=lambda r: (-r["lo"], r["key"]))
        if len(members) < 2:
            continue
        listed = "; ".join(f"{r['canonical'] or r['region']} {_figure(r['qualifier'], r['v'])}"
                           for r in members)
        year = f" in {s['bucket']}" if s["bucket"] is not None else ""
        docs = list(dict.fromkeys(r["doc_id"] for r in members))
        where = "one document" if len(docs) == 1 else f"{len(docs)} documents"
        message = (f"shares of {s['family']}{year} for regions that do not overlap add up to at least "
                   f"{s['total']:g}% ({where}): {listed}")
        evidence = {"family": s["family"], "year": s["bucket"], "lower_bound_sum": round(s["total"], 4),
                    "claims": [{"doc_id": r["doc_id"], "region": r["canonical"] or r["region"],
                                "metric": r["metric"], "qualifier": r["qualifier"], "share_pct": r["v"],
                                "lower_bound": round(r["lo"], 4)} for r in members]}
        subject = ", ".join(r["canonical"] or r["region"] for r in members)
        rows.append({
            "finding_id": fingerprint(SHARE_SUM, s["family"], s["bucket"], *sorted(s["chosen"])),
            "rule": SHARE_SUM, "severity": "error", "subject": subject, "message": message,
            "doc_ids": docs, "quotes": list(dict.fromkeys(r["quote"] for r in members)),
            "evidence": json.dumps(evidence),
        })
    if not rows:
        return empty_findings()
    return findings_from_rows(rows)


# ---------------------------------------------------------------------------------------------
# entry points used by quality.rules


def _claims_from(facts: dict[str, pl.DataFrame]) -> pl.DataFrame:
    markets = document_markets(facts.get("documents"), facts.get("valuation"))
    return share_claims(facts["regional_share"], markets)


def run_share_conflict(facts: dict[str, pl.DataFrame]) -> pl.DataFrame:
    return share_conflicts(_claims_from(facts))


def run_share_sum(facts: dict[str, pl.DataFrame]) -> pl.DataFrame:
    return share_sums_over_100(_claims_from(facts))


def run_child_share(facts: dict[str, pl.DataFrame]) -> pl.DataFrame:
    return child_share_excesses(_claims_from(facts))
