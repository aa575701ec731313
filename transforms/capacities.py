"""Capacity and production figures: tonnages a company, facility or country can make or did make.

Two sources, both read over whole frames:

- sentences where a tonnage is bound to a production or capacity cue ("production of 1,508
  [metric tons]", "produces 4,000 metric tons of separated oxides annually", "70,000 tons per year
  processing capacity", "add more than 30,000 tons of new capacity", "12,000 tpa", "10.5kt pa").
  A tonnage bound to demand, consumption, trade, reserves or stockpiles is not one of these;
- production tables by country (government statistics): a header naming production and the year
  columns, then one row per country. Columns after the years (reserves) are ignored, "—"/"NA" give
  no fact, and footnote numbers that PDF text extraction glued onto figures ("14270,000" is
  footnote 14 + 270,000) are removed using the thousands grouping and what the rest of the table
  says about which footnote numbers are in use.

Values stay in the unit the text states; `unit` says which.
"""

from __future__ import annotations

import polars as pl

from transforms.companies import company_mentions, suffix_mentions
from transforms.company_names import canonical_company_expr
from transforms.matching import any_case, digit_mask, regex_matches
from transforms.regions import normalize_regions, region_pattern

COLUMNS = ("doc_id", "passage_id", "start", "end", "quote", "company", "facility", "region", "value", "unit",
           "year", "measure")

_QUAL = (
    r"(?:(?P<qual>(?i:more than|over|above|nearly|almost|about|approximately|around|roughly|up to|"
    r"at least|some|an estimated|a total of|in excess of))\s+)?"
)
# Literal words (and " t " forms) at least one of which a tonnage needs: the cheap first filter.
_UNIT_WORDS = ("ton", "tpa", "kt", "metric", "kilo", " t ", " t.", " t,", " t/", "t/y")
_UNIT_HINT = any_case(_UNIT_WORDS)
# A figure followed by a mass unit: the second filter, on the few passages the first one keeps.
_TONNAGE = r"\d\s?-?\[?(?i:t(?-u:\b)|tpa|kt|mt|tons?(?-u:\b)|tonnes?(?-u:\b)|metric|kilo|thousand|million)"
_NUM = r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
# ASCII word boundaries (`_B`) and word-counted gaps keep these patterns on the regex engine's DFA.
_B = r"(?-u:\b)"
_UNIT = (
    r"\s*-?\s*\[?(?P<unit>(?i:thousand\s+(?:metric\s+)?(?:tons|tonnes)|million\s+(?:metric\s+)?(?:tons|tonnes)|"
    r"kilo-?tonnes|kilo-?tons|ktpa|kt|mtpa|tpa|t/y|t/yr|t/a|(?:metric\s+)?(?:tons|tonnes|tonne|ton)|t))"
    rf"{_B}\]?"
)
_RATE_BODY = (
    r"[\s-]*(?i:per[\s-]+(?:year|annum)|a\s+year|each\s+year|annually|/\s?(?:yr|year|a)(?-u:\b)|"
    r"p\.\s?a\.|pa(?-u:\b)|yearly)"
)
_RATE = rf"(?P<rate>{_RATE_BODY})?"
# "4,000 metric tons of separated oxides annually": what is made sits between figure and rate
_WHAT_RATE = rf"(?:(?P<what>\s+of(?:\s+[A-Za-z-]+){{1,4}}?)(?P<rate2>{_RATE_BODY})|(?P<rate>{_RATE_BODY}))?"
_CUE_BEFORE = (
    rf"{_B}(?P<cue>(?i:capacity|capacities|production|output|produces|produced|producing|produce|"
    r"processes|processed|processing|process|refines|refined|refining|separates|separated|add|adds|adding|"
    rf"added|mined)){_B}(?P<gap>(?:\s+[a-z][a-z-]*){{0,6}}?)\s+"
)
_BEFORE = rf"{_CUE_BEFORE}{_QUAL}{_NUM}{_UNIT}{_WHAT_RATE}"
# the cue after the figure: "... of processing capacity", "... were produced", "... separation plant"
_AFTER = (
    rf"{_QUAL}{_NUM}{_UNIT}{_RATE}(?P<mid>(?:\s+of)?(?:\s+[A-Za-z-]+){{0,5}}?)\s+"
    r"(?P<cue>(?i:capacity|production|output|(?:were|was|is|are|being)\s+produced|produced|plant|facility|"
    rf"refinery|smelter|line)){_B}"
)
_RATE_ONLY = rf"{_QUAL}{_NUM}\s*(?P<unit>(?i:ktpa|mtpa|tpa|kt\s?pa|t/y|t/yr|t/a)){_B}"

# Tonnages near these words are demand, trade, stock or geology, not capacity or production.
_NOT_CAPACITY = (
    r"(?i)demand|consum|requir|import|export|reserve|resource|stockpil|inventor|purchas|acquisit|"
    r"(?-u:\b)(?:sold|sales|needs?|use[sd]?|shipments?|deliver\w*|contracted|offtake)(?-u:\b)"
)
_PLANNED = (
    r"(?i)(?-u:\b)(?:plan|plans|planned|planning|will|would|expected|expects|target|targets|targeted|aims?|"
    r"propos\w*|under construction|to be commissioned|scheduled|designed|once|future|upcoming|intends?)(?-u:\b)"
)
# Capacity being added, as opposed to a capacity being reached ("expand to 10 kt" is a target).
_ADDITION = (
    r"(?i)(?-u:\b)(?:add|adds|adding|added|additional|new capacity|incremental|"
    r"(?:expan\w+|increas\w+|rais\w+|boost\w*)(?:\s+\w+){0,3}?\s+by|(?:expansion|increase)\s+of)(?-u:\b)"
)
_CLAUSE_START = r"^.*(?:[,;:(]|(?-u:\b)(?:while|whereas|but|and|as)(?-u:\b))"
_PRODUCTION_CUE = r"(?i)produc|output|mined|processes|processed|refines|refined|separates|separated"
_SITE_WORDS = r"(?i)plant|facility|refinery|mine|project|line|operation|capacity|produc|output|smelter"
_FACILITY = (
    r"((?:[A-Z][\w.'’-]*\s+){1,5}(?:[Ff]acility|[Pp]lant|[Rr]efinery|Mine|[Pp]roject|[Cc]omplex|"
    r"[Ss]melter|[Hh]ub))"
)
_YEAR = (
    r"(?i)(?-u:\b)(?:in|by|for|during|through|from|of)\s+(?:the\s+end\s+of\s+|end\s+of\s+|early\s+|late\s+|"
    r"mid-?)?(?:FY\s?)?((?:19|20)\d{2})(?-u:\b)"
)

_OPENING = 5  # passages that make a document's lede
_MAX_FOOTNOTE = 20  # footnote numbers in a statistics table are small

# Production tables.
_ROW = (
    r"^(?P<name>[A-Z][A-Za-z .,'’()&\-]*?[A-Za-z)])(?:\d{1,2})?\s+"
    r"(?P<vals>(?:(?:[<>]?\d[\d,]*(?:\.\d+)?|—|–|-|NA|N/A|W|XX|\(\d+\))\s*){2,8})$"
)
# "[Data in metric tons, ...]": the unit a statistics sheet states once for all its tables
_UNIT_NOTE = r"(?i)(?:data|figures)\s+in\s+((?:metric\s+)?(?:tons|tonnes|kilograms|kt)[^,.\]\n]*)"
_VALUE_TOKEN = r"^[<>]?\d[\d,]*(?:\.\d+)?$"
_OTHER_ROW = r"(?i)^(?:other|others|other countries|rest of (?:the )?world)$"


def extract(passages: pl.DataFrame, documents: pl.DataFrame) -> pl.DataFrame:
    """Capacity and production facts from sentences and country production tables."""
    if passages.is_empty():
        return pl.DataFrame(schema=_schema())
    parts = [_future_capacity(_inline(passages), documents), _tables(passages, documents)]
    parts = [p for p in parts if not p.is_empty()]
    if not parts:
        return pl.DataFrame(schema=_schema())
    facts = pl.concat(parts, how="diagonal_relaxed")
    return facts.select([pl.col(c).cast(t) for c, t in _schema().items()])


def _schema() -> dict[str, pl.DataType]:
    return {"doc_id": pl.String(), "passage_id": pl.String(), "start": pl.Int64(), "end": pl.Int64(),
            "quote": pl.String(), "company": pl.String(), "facility": pl.String(), "region": pl.String(),
            "value": pl.Float64(), "unit": pl.String(), "year": pl.Int32(), "measure": pl.String()}


# ---------------------------------------------------------------- sentences

def _inline(passages: pl.DataFrame) -> pl.DataFrame:
    """Tonnages bound to a capacity or production cue, with who/where/when from the sentence."""
    # a tonnage is a figure: only passages with a digit, then a unit word, then the tonnage pattern
    candidates = (
        passages.with_row_index("_row")
        .filter(digit_mask(passages))
        .filter(pl.col("text").str.contains(_UNIT_HINT))
        .filter(pl.col("text").str.contains(_TONNAGE))
    )
    if candidates.is_empty():
        return pl.DataFrame()
    found = pl.concat(
        [
            regex_matches(candidates, _BEFORE, keep_text=True),
            regex_matches(candidates, _AFTER, keep_text=True),
            regex_matches(candidates.filter(pl.col("text").str.contains(_SITE_WORDS)), _RATE_ONLY, keep_text=True),
        ],
        how="diagonal_relaxed",
    )
    if found.is_empty():
        return pl.DataFrame()
    starts = candidates.select("passage_id", pl.col("start").alias("_p_start"), "seq", "_row")
    found = (
        found.join(starts, on="passage_id", how="left")
        .with_columns(
            pl.col("passage").str.slice(0, pl.col("start") - pl.col("_p_start")).alias("_before"),
            pl.col("passage").str.slice(pl.col("end") - pl.col("_p_start")).alias("_after"),
        )
        .with_columns(
            # the words of the figure's own clause just before it ("... while production of ...")
            pl.col("_before").str.slice(-40).str.replace(_CLAUSE_START, "").alias("_lead"),
        )
        .with_columns(
            pl.concat_str(pl.col("_lead"), pl.col("gap"), pl.col("what"), pl.col("mid"), ignore_nulls=True)
            .alias("_context"),
        )
        .filter(~pl.col("_context").str.contains(_NOT_CAPACITY))
    )
    unit_text = (
        pl.col("unit").str.to_lowercase().str.replace_all(r"\s+", " ")
        + pl.when(pl.coalesce("rate", "rate2").str.strip_chars().fill_null("") != "")
        .then(pl.lit(" per year")).otherwise(pl.lit(""))
    )
    # the figure's clause: words just before it, the match, and the rest up to the next punctuation
    local = pl.concat_str(pl.col("_lead"), pl.col("quote"), pl.col("_after").str.extract(r"^([^,;.]*)", 1),
                          ignore_nulls=True)
    cue_words = pl.concat_str(pl.col("cue"), pl.col("gap"), pl.col("what"), pl.col("mid"), ignore_nulls=True)
    rows = found.with_columns(
        pl.col("num").str.replace_all(",", "").cast(pl.Float64, strict=False).alias("value"),
        unit_text.alias("unit"),
        pl.when(local.str.contains(_ADDITION) & local.str.contains("capacit|Capacit"))
        .then(pl.lit("planned_capacity_addition"))
        .when(cue_words.str.contains("capacit|Capacit") & local.str.contains(_PLANNED))
        .then(pl.lit("planned_capacity"))
        .when(cue_words.str.contains("capacit|Capacit")).then(pl.lit("capacity"))
        .when(pl.col("cue").fill_null("").str.contains(_PRODUCTION_CUE)
              | (pl.col("cue").is_null() & pl.col("passage").str.contains("produc|Produc")
                 & ~pl.col("passage").str.contains("capacit|Capacit")))
        .then(pl.lit("production"))
        .when(local.str.contains(_PLANNED)).then(pl.lit("planned_capacity"))
        .otherwise(pl.lit("capacity"))
        .alias("measure"),
        pl.coalesce(
            pl.col("_after").str.extract(r"^([^;]*)", 1).str.extract(_YEAR, 1),
            pl.col("_before").str.extract(_YEAR, 1),
        ).cast(pl.Int32).alias("year"),
        pl.coalesce(pl.col("passage").str.extract(_FACILITY, 1)).str.strip_chars().alias("facility"),
    )
    # one figure seen by several patterns (cue before and after it): keep the longest quote
    rows = (
        rows.with_columns((pl.col("start") + pl.col("quote").str.find(pl.col("num"), literal=True)).alias("_at"))
        .sort(pl.col("quote").str.len_chars(), descending=True)
        .unique(["doc_id", "_at"], keep="first")
    )
    return _attribute(rows, passages)


def _future_capacity(rows: pl.DataFrame, documents: pl.DataFrame) -> pl.DataFrame:
    """A capacity stated for a year after the document was published is a planned capacity."""
    if rows.is_empty():
        return rows
    published = documents.select("doc_id", pl.col("published").dt.year().alias("_pub_year"))
    return rows.join(published, on="doc_id", how="left").with_columns(
        pl.when((pl.col("measure") == "capacity") & (pl.col("year") > pl.col("_pub_year")))
        .then(pl.lit("planned_capacity"))
        .otherwise(pl.col("measure"))
        .alias("measure")
    ).drop("_pub_year")


def _scope(rows: pl.DataFrame, passages: pl.DataFrame) -> pl.DataFrame:
    """The passages read for names: each figure's passage and the one before it.

    `rows` carry their passage's row number (`_row`); in document order the passage before is the
    row before, so the few rows are picked by position and checked against the wanted (doc_id, seq)
    keys. Passages in any other order fall back to a join over the whole frame.
    """
    near = rows.select("doc_id", "seq").unique()
    near = pl.concat([near, near.with_columns(pl.col("seq") - 1)]).unique()
    at = rows["_row"].cast(pl.Int64)
    picked = pl.concat([at, at - 1]).unique().sort()
    scope = passages[picked.filter(picked >= 0)].join(near, on=["doc_id", "seq"], how="semi")
    if scope.height != near.filter(pl.col("seq") >= 0).height:
        scope = passages.join(near, on=["doc_id", "seq"], how="semi")
    return scope


def _attribute(rows: pl.DataFrame, passages: pl.DataFrame) -> pl.DataFrame:
    """Who and where: the company named nearest before the figure in its sentence or the one before
    (else the document's only company), and the place its sentence (or the one before) names."""
    scope = _scope(rows, passages)
    seqs = scope.select("passage_id", pl.col("seq").alias("_c_seq"))
    mentions = company_mentions(scope).select("doc_id", "passage_id", pl.col("start").alias("_c_start"),
                                              pl.col("name").alias("company"))
    # a document whose opening names exactly one company with a legal form is about that company
    opening = passages.filter(pl.col("seq") < _OPENING).join(rows.select("doc_id").unique(), on="doc_id",
                                                               how="semi")
    sole = (
        suffix_mentions(opening)
        .with_columns(canonical_company_expr(pl.col("name")).alias("_key"))
        .group_by("doc_id")
        .agg(pl.col("name").first().alias("_sole"), pl.col("_key").n_unique().alias("_n"))
        .filter(pl.col("_n") == 1)
        .select("doc_id", "_sole")
    )
    # possessive proper nouns ("Acme's new line") name the operator even without a legal form
    owners = regex_matches(scope.filter(pl.col("text").str.contains("['’]s ")),
                           r"(?P<owner>[A-Z][\w&\-]+(?:\s[A-Z][\w&\-]+){0,3})['’]s\s")
    if not owners.is_empty():
        owners = owners.filter(normalize_regions(pl.col("owner")).is_null()).select(
            "doc_id", "passage_id", pl.col("start").alias("_c_start"), pl.col("owner").alias("company"))
        mentions = pl.concat([mentions, owners], how="vertical_relaxed")
    mentions = mentions.join(seqs, on="passage_id", how="left").drop("passage_id").sort("_c_start")
    prev = scope.select("doc_id", (pl.col("seq") + 1).alias("seq"), pl.col("text").alias("_prev_text"))
    place = rf"(?:(?-u:\b)(?:outside|non-|beyond|excluding|except)\s*)?{region_pattern()}"
    excluded = r"^(?:outside|non-|beyond|excluding|except)"
    here = pl.col("_before").str.extract_all(place).list.eval(pl.element().filter(
        ~pl.element().str.contains(excluded))).list.last()
    later = pl.col("passage").str.extract_all(place).list.eval(pl.element().filter(
        ~pl.element().str.contains(excluded))).list.first()
    before = pl.col("_prev_text").str.extract_all(place).list.eval(pl.element().filter(
        ~pl.element().str.contains(excluded))).list.last()
    world = pl.when(pl.concat_str(pl.col("_before").str.slice(-200), pl.col("quote")).str.contains(
        r"(?i)(?-u:\b)(?:global|world|worldwide)(?:\s+[\w-]+){0,3}\s+(?:production|capacity|output)")
    ).then(pl.lit("World"))
    rows = (
        rows.sort("start")
        .join_asof(mentions, left_on="start", right_on="_c_start", by="doc_id", strategy="backward",
                   check_sortedness=False)
        .join(prev, on=["doc_id", "seq"], how="left")
        .join(sole, on="doc_id", how="left")
        .with_columns(
            pl.when(pl.col("_c_seq") >= pl.col("seq") - 1).then(pl.col("company"))
            .otherwise(pl.col("_sole")).alias("company"),
            pl.coalesce(world, normalize_regions(here), normalize_regions(later), normalize_regions(before))
            .alias("region"),
            pl.coalesce("facility", pl.col("_prev_text").str.extract(_FACILITY, 1))
            .str.strip_chars()
            .str.replace(r"^(?:The|This|That|Its|Their|Our|A|An|Each|Every|New)\s+", "")
            .alias("facility"),
        )
        .with_columns(
            pl.when(pl.col("facility").str.contains(r"^[A-Z]")).then(pl.col("facility")).alias("facility")
        )
    )
    return rows.sort("doc_id", "start").select(COLUMNS)


# ---------------------------------------------------------------- production tables

def _tables(passages: pl.DataFrame, documents: pl.DataFrame) -> pl.DataFrame:
    """One production fact per country row and year column of a production-by-country table.

    Rows are short lines ending in a figure, a dash or NA; only those are parsed. A table is a run
    of consecutive rows, and its header is the line before the run plus the line before that.
    """
    # eager filters, the end-anchored pattern (cheap: read from the end of the line) first
    candidates = (
        passages.filter(pl.col("text").str.contains(r"(?:[0-9—–-]|NA|N/A|W|XX)\s*$"))
        .filter(pl.col("text").str.len_chars() <= 160)
        # at least two figures (or dashes) at the end of the line
        .filter(pl.col("text").str.contains(r"(?:[0-9]|—|–|-|NA|W|XX) +(?:[<>]?[0-9]|—|–|-|NA|W|XX)[^ ]* *$"))
        .with_columns(pl.col("text").str.extract_groups(_ROW).alias("_g"))
        .unnest("_g")
        .filter(pl.col("vals").is_not_null())
        # a "row" whose figures are all years is the column header ("Country 2023 2024")
        .filter(~pl.col("vals").str.contains(r"^\s*(?:(?:19|20)\d{2}e?\s*)+$"))
    )
    if candidates.is_empty():
        return pl.DataFrame()
    rows = candidates.sort("doc_id", "seq").with_columns(
        (pl.col("seq") != pl.col("seq").shift(1).over("doc_id") + 1).fill_null(True).cast(pl.Int32)
        .cum_sum().over("doc_id").alias("_run")
    ).with_columns((pl.col("seq").min().over("doc_id", "_run") - 1).alias("_head_seq"))
    heads = rows.select("doc_id", "_head_seq").unique()
    # header = the line before the run and the line before that ("Mine production Reserves" / "2023 2024")
    wanted = pl.concat([heads, heads.with_columns(pl.col("_head_seq") - 1)]).rename({"_head_seq": "seq"})
    texts = passages.join(wanted, on=["doc_id", "seq"], how="semi").select("doc_id", "seq", "text")
    header = (
        heads.join(texts.rename({"seq": "_head_seq", "text": "_h1"}), on=["doc_id", "_head_seq"], how="left")
        .join(texts.with_columns(pl.col("seq") + 1).rename({"seq": "_head_seq", "text": "_h0"}),
              on=["doc_id", "_head_seq"], how="left")
        .select("doc_id", "_head_seq",
                pl.concat_str(pl.col("_h0"), pl.col("_h1"), separator="\n", ignore_nulls=True).alias("_header"))
    )
    lines = (
        rows.join(header, on=["doc_id", "_head_seq"], how="left")
        .filter(pl.col("_header").str.contains(r"(?i)production"))
        .filter(pl.col("_header").str.contains(r"(?:19|20)\d{2}"))
        .with_columns(
            pl.col("_header").str.extract_all(r"(?:19|20)\d{2}").list.unique(maintain_order=True)
            .alias("_years"),
            pl.col("vals").str.extract_all(r"\S+").alias("_tokens"),
            pl.col("name").str.replace(r"(?i)\s+total\b.*$", "").str.replace(r"\s*\([^)]*\)\s*$", "")
            .str.strip_chars().alias("_place"),
        )
        .with_columns(
            pl.when(pl.col("_place").str.contains(_OTHER_ROW)).then(pl.lit("Other"))
            .otherwise(normalize_regions(pl.col("_place"))).alias("region"),
            pl.col("_tokens").list.head(pl.col("_years").list.len()).alias("_cols"),
        )
        .filter(pl.col("region").is_not_null())
    )
    if lines.is_empty():
        return pl.DataFrame()
    lines = _remove_footnotes(lines)
    units = _table_units(lines, documents)
    return (
        lines.select("doc_id", "passage_id", "start", "end", pl.col("text").alias("quote"), "region",
                     "_years", "_cols", "_k")
        .join(units, on="doc_id", how="left")
        .explode("_years", "_cols")
        .filter(pl.col("_cols").str.contains(_VALUE_TOKEN))
        .select(
            "doc_id", "passage_id", "start", "end", "quote",
            pl.lit(None, dtype=pl.String).alias("company"),
            pl.lit(None, dtype=pl.String).alias("facility"),
            "region",
            pl.col("_cols").str.replace(r"^[<>]", "").str.slice(pl.col("_k")).str.replace_all(",", "")
            .cast(pl.Float64, strict=False).alias("value"),
            "unit",
            pl.col("_years").cast(pl.Int32).alias("year"),
            pl.lit("production").alias("measure"),
        )
        .filter(pl.col("value").is_not_null())
    )


def _table_units(lines: pl.DataFrame, documents: pl.DataFrame) -> pl.DataFrame:
    """The unit a table states in its header, else the document's "Data in ..." note, else metric tons."""
    docs = lines.select("doc_id", "_header").unique("doc_id")
    note = documents.join(docs, on="doc_id", how="semi").select(
        "doc_id",
        pl.col("text").str.extract(_UNIT_NOTE, 1).alias("_note"),
    )
    return docs.join(note, on="doc_id", how="left").select(
        "doc_id",
        pl.coalesce(
            pl.col("_header").str.extract(r"\(((?:metric\s+)?(?:tons|tonnes|kt|t)\b[^)]*)\)", 1),
            pl.col("_note"),
            pl.lit("metric tons"),
        ).str.strip_chars().alias("unit"),
    )


def _remove_footnotes(lines: pl.DataFrame) -> pl.DataFrame:
    """`_k`: how many leading digits of each figure in the row are a fused footnote number (0, 1 or 2).

    A tail is a well-formed figure when it is grouped by thousands ("16,000", "310"), so a token that
    is not ("1216,000", "12310" in a table that writes "2,900") must carry a footnote of one or two
    digits. Which one is decided per row, the same for every year column: the footnote the table
    confirms elsewhere (a row where only one split is well formed) wins; a row that is well formed
    as printed ("122,100") is only split when a neighbouring row needed that footnote.
    """
    grouped = r"^(?:[1-9]\d{0,2}(?:,\d{3})*|0)(?:\.\d+)?$"
    lines = lines.with_columns(
        pl.col("_cols").list.eval(
            pl.element().str.replace(r"^[<>]", "").filter(pl.element().str.contains(_VALUE_TOKEN))
        ).alias("_nums"),
    ).with_columns(
        # tables that never group thousands cannot tell a footnote from a figure
        pl.col("_nums").list.eval(pl.element().str.contains(",")).list.any().any().over("doc_id", "_run")
        .alias("_grouped"),
    )
    for k in (0, 1, 2):
        # the figure after dropping k digits is well formed, and the k digits are a footnote (1-20)
        well_formed = pl.element().str.slice(k).str.contains(grouped)
        if k:
            well_formed = well_formed & (pl.element().str.slice(0, k).cast(pl.Int32, strict=False)
                                         .is_between(1, _MAX_FOOTNOTE)) & pl.element().str.contains(r"^[1-9]")
        lines = lines.with_columns(
            (
                (pl.col("_nums").list.len() > 0)
                & pl.col("_nums").list.eval(well_formed).list.all()
                # one footnote for the whole row
                & (pl.col("_nums").list.eval(pl.element().str.slice(0, k)).list.n_unique() == 1)
            ).alias(f"_ok{k}"),
            pl.col("_nums").list.first().str.slice(0, k).alias(f"_p{k}"),
        )
    lines = lines.with_columns(
        (pl.col("_grouped") & ~pl.col("_ok0") & (pl.col("_nums").list.len() > 0)).alias("_forced"),
    ).with_columns(
        pl.when(pl.col("_forced") & pl.col("_ok1") & ~pl.col("_ok2")).then(pl.col("_p1"))
        .when(pl.col("_forced") & pl.col("_ok2") & ~pl.col("_ok1")).then(pl.col("_p2"))
        .alias("_sure"),
    )
    confirmed = lines.group_by("doc_id", "_run").agg(pl.col("_sure").drop_nulls().unique().alias("_confirmed"))
    lines = lines.join(confirmed, on=["doc_id", "_run"], how="left")
    shifted = []
    for side, n in (("prev", 1), ("next", -1)):
        for col in ("_forced", "_ok1", "_p1", "_ok2", "_p2"):
            shifted.append(pl.col(col).shift(n).over("doc_id", "_run", order_by="seq").alias(f"_{side}{col}"))
    lines = lines.with_columns(shifted)

    def neighbour_needs(p: pl.Expr) -> pl.Expr:
        needs = []
        for side in ("prev", "next"):
            needs.append(
                pl.col(f"_{side}_forced").fill_null(False)
                & ((pl.col(f"_{side}_ok2").fill_null(False) & (pl.col(f"_{side}_p2") == p))
                   | (pl.col(f"_{side}_ok1").fill_null(False) & (pl.col(f"_{side}_p1") == p)))
            )
        return needs[0] | needs[1]

    sure2 = pl.col("_ok2") & pl.col("_confirmed").list.contains(pl.col("_p2"))
    sure1 = pl.col("_ok1") & pl.col("_confirmed").list.contains(pl.col("_p1"))
    k = (
        pl.when(pl.col("_forced") & sure2).then(2)
        .when(pl.col("_forced") & sure1).then(1)
        .when(pl.col("_forced") & pl.col("_ok2")).then(2)
        .when(pl.col("_forced") & pl.col("_ok1")).then(1)
        .when(~pl.col("_forced") & pl.col("_grouped") & sure2 & neighbour_needs(pl.col("_p2"))).then(2)
        .when(~pl.col("_forced") & pl.col("_grouped") & sure1 & neighbour_needs(pl.col("_p1"))).then(1)
        .otherwise(0)
    )
    return lines.with_columns(k.alias("_k"))
