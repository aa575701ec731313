"""Regional shares: who holds what percentage of a market, production, capacity or trade flow.

A share is a percentage bound to a subject that can hold one: a region or country, a company (or
a group of them, or a company's named facility), or a place a sentence refers back to ("The
region accounted for ..."). Percentages bound to anything else are growth rates, purities, tax
rates, adoption rates or product-segment shares, and are left alone. Phrasings read:

- subject + verb + percentage ("Asia-Pacific accounts for over 80% of refined output",
  "A and B collectively control approximately 60% of ...", "X's Y facility processes 15% of ...");
- percentage + "of" + metric + "is located in" + place ("Over 85% of capacity is located in a
  single region");
- possessive shares ("China's share of global output was 69%");
- source lists ("China,9 70%; Malaysia, 13%; ... and other, 6%" with fused footnote digits).

The subject must be adjacent to the verb, so "neodymium and dysprosium ... account for 60%" and
"EV sales ... accounting for 20% of car sales" never qualify.
"""

from __future__ import annotations

import polars as pl

from transforms.companies import company_mentions
from transforms.company_names import canonical_company_expr
from transforms.matching import digit_mask, regex_matches, with_distinct
from transforms.regions import DEMONYMS, normalize_regions, region_pattern, region_table

COLUMNS = ("doc_id", "passage_id", "start", "end", "quote", "region", "share_pct", "qualifier", "metric", "year")

_QUAL = (
    r"(?P<qual>(?i:over|more than|above|in excess of|exceeding|upwards of|approximately|approx\.|about|"
    r"around|roughly|an estimated|nearly|almost|close to|at least|up to|as much as|less than|under|"
    r"below|just under|just over|~))"
)
_PCT = r"(?P<pct>\d{1,3}(?:\.\d+)?)\s?(?:%|percent(?-u:\b)|per cent(?-u:\b))"
_WORD = r"[A-Z][\w&.'’\-]*"
# A proper-noun subject: capitalized words joined by spaces, "and", "&", "of", commas; a possessive
# company may be followed by a facility word ("X' Y facility").
_SUBJECT = (
    rf"(?P<subj>{_WORD}(?:(?:\s+(?:and|&|of|the|de)\s+|\s+|,\s+){_WORD})*"
    r"(?:\s+(?:facility|facilities|plant|plants|mine|mines|refinery|refineries|operations|project|"
    r"region|area|economies|producers|refiners|miners|companies|firms|enterprises|industry|sector))?"
    r"|(?i:the|this|that)\s+(?:region|country|continent|nation|area|bloc)(?:['’]s)?)"
)
_ADVERBS = (
    r"(?:\s+(?:now|currently|alone|collectively|together|jointly|still|already|reportedly|presently|"
    r"today|itself|combined|also|roughly|largely|mainly|already))*"
)
_VERB = (
    r"(?:accounts?\s+for|accounted\s+for|accounting\s+for|holds?|held|holding|represents?|represented|"
    r"supply|control|capture|command|contribute|produce|generate|constitute|make\s+up|"
    r"contributes?|contributed|commands?|commanded|captures?|captured|controls?|controlled|makes?\s+up|"
    r"made\s+up|supplies|supplied|produces?|produced|processes|processed|refines?|refined|mines?|mined|"
    r"generates?|generated|comprises?|comprised|constitutes?|constituted|occupies|occupied|"
    r"dominates?\s+(?:the\s+)?(?:global\s+)?(?:market|industry)\s+with|dominated\s+(?:the\s+)?"
    r"(?:global\s+)?(?:market|industry)\s+with|had|has)"
)
_SHARE_NOUN = (
    r"(?:(?:a|an|the|its)\s+)?(?:(?:dominant|leading|major|combined|total|collective|market|revenue|global|"
    r"production|volume|largest)\s+)*share\s+of\s+"
)
_METRIC = (
    r"(?:\s+(?:(?:market|revenue|global|production|volume)\s+)?share)?"
    r"(?:\s+(?:of|in)\s+(?P<metric>[A-Za-z][^,.;:()%]+))?"
)

# "is expected to", "will", "could" between subject and verb
_MODAL = (
    r"(?:\s+(?:is|are|was|were)\s+(?:expected|projected|estimated|forecast|anticipated|likely|set|poised)\s+to"
    r"|\s+(?:will|would|could|may|might|should|can|continues\s+to|continued\s+to))?"
)
_SUBJECT_VERB = (
    rf"{_SUBJECT}{_ADVERBS}{_MODAL}{_ADVERBS}\s+{_VERB}\s+"
    rf"(?:{_SHARE_NOUN})?(?:(?:a|an)\s+)?(?:{_QUAL}\s*)?{_PCT}{_METRIC}"
)
_LOCATED_IN = (
    rf"(?:{_QUAL}\s*)?{_PCT}\s+of\s+(?P<metric>[A-Za-z][^,.;:()%]*?)\s+(?:is|are|was|were)\s+"
    r"(?:currently\s+|now\s+|still\s+|largely\s+|mostly\s+)?(?:located|concentrated|based|situated|produced|"
    r"refined|processed|mined|sourced|found|controlled|held)\s+(?:in|by)\s+"
    rf"(?P<subj>(?i:a single|one|a)\s+(?:region|country|nation|jurisdiction)|{_WORD}(?:\s+{_WORD})*)"
)
_LOCATED_WORDS = "located|concentrated|based|situated|sourced|found|controlled|held|produced|refined|processed|mined"
_POSSESSIVE = (
    rf"(?P<subj>{_WORD}(?:\s+{_WORD})*)['’]s?\s+(?:(?:global|market|combined|total)\s+)?share\s+of\s+"
    r"(?P<metric>[A-Za-z][^,.;:()%]*?)\s+(?:was|is|stood\s+at|reached|rose\s+to|fell\s+to|of|at|hit|"
    rf"climbed\s+to|amounted\s+to)\s+(?:{_QUAL}\s*)?{_PCT}"
)
# "China,9 70%", "Malaysia, 13%", "other, 6%", "Japan (6%)"
_LIST_ITEM = (
    r"(?P<subj>\b[A-Z][A-Za-z.'’\-]*(?:\s[A-Z][A-Za-z.'’\-]*){0,3}|\b[Oo]ther(?:s|\s+countries|\s+sources)?)"
    r"\s*(?:,\s*(?:\d{1,2}\s+)?|\(|:\s*)(?P<pct>\d{1,3}(?:\.\d+)?)%\)?"
)

# What follows a percentage that makes it a change, rate or grade rather than a share.
_NOT_A_SHARE_AFTER = (
    r"(?i)^\s*(?:year|yoy|y-o-y|annual|growth|increase|decrease|decline|rise|drop|cagr|compound|purity|"
    r"pure|grade|tariff|duty|tax|stake|interest|ownership|equity|owned|discount|premium|margin|"
    r"adoption|efficiency|recovery|yield|of\s+(?:its|their)\s+(?:shares|equity|stock))"
)
_ELEMENTS = (
    r"(?i)^(?:neodymium|praseodymium|dysprosium|terbium|cerium|lanthanum|samarium|yttrium|europium|"
    r"gadolinium|holmium|erbium|lutetium|scandium|ndfeb|ndpr|smco|ev|evs|bev|bevs|magnets?|"
    r"permanent magnets?|rare earths?|ree|rees)\b"
)
_LEADING_NOISE = (
    r"^(?:(?:In|On|At|By|For|From|With|While|Meanwhile|However|Moreover|Additionally|Also|And|But|As|"
    r"Since|After|Today|Globally|Currently|Overall|Notably|Together|Collectively|Combined|Alone|Still|"
    r"Yet|Thus|Hence|Instead|Similarly|Likewise|Dominating|Including|Of|Only|Just|Both)[\s,]+)+"
)
_COMPANY_WORDS = (
    r"\b(?:Ltd|Limited|Inc|Corp|Corporation|Co|plc|PLC|Group|Holdings?|GmbH|AG|LLC|Materials|Resources|"
    r"Mining|Minerals|Metals|Rare Earths?|Industries|Technologies|Magnetics|Chemicals?)\b"
)
# Words after a place that still name the place ("the Asia-Pacific area", "Chinese producers").
_DESCRIPTOR = (
    r"\s+(?:region|area|economies|producers|refiners|miners|companies|firms|enterprises|industry|sector|"
    r"plants|facilities|mines|refineries|operations)$"
)
_UNNAMED = r"(?i)^(?:a single|one|a)\s+(?:region|jurisdiction|country|nation)$"
_PERCENT = "%|percent|per cent"
_OPEN_LINE = r",\s*$"  # a line that ends with a comma continues on the next
_BLANKS = " " * 64
_LOOKBACK = 30  # passages searched backwards for the place "the region" refers to
_FACILITY = r"\s+(?:facility|facilities|plant|plants|mine|mines|refinery|refineries|operations|project)$"


def extract(passages: pl.DataFrame, documents: pl.DataFrame) -> pl.DataFrame:
    """Regional (and company) share facts with provenance."""
    if passages.is_empty():
        return pl.DataFrame(schema=_schema())
    # every phrasing reads a percentage figure, so passages without a digit are skipped, except one
    # that ends with a comma: a source list read together with the line before it (`_source_lists`)
    digits = digit_mask(passages)
    indexed = passages.with_row_index("_row")
    pct = indexed.filter(digits).filter(pl.col("text").str.contains(_PERCENT))
    open_lines = indexed.filter(~pl.lit(digits) & pl.col("text").str.contains(_OPEN_LINE)).filter(
        pl.col("text").str.contains(_PERCENT))
    if pct.is_empty() and open_lines.is_empty():
        return pl.DataFrame(schema=_schema())
    sentences = pct.filter(
        pl.col("text").str.contains(r"(?i)account|hold|held|represent|contribut|command|captur|control|make|made|"
                                    r"suppl|produc|process|refin|mine|mined|generat|compris|constitut|occup|"
                                    r"share|located|concentrated|based|situated|sourced|found|dominat|had|has")
    )
    found = pl.concat(
        [
            regex_matches(sentences, _SUBJECT_VERB, keep_text=True),
            # the other two phrasings need words most share sentences lack: test those first
            regex_matches(sentences.filter(pl.col("text").str.contains(_LOCATED_WORDS)), _LOCATED_IN,
                          keep_text=True),
            regex_matches(sentences.filter(pl.col("text").str.contains("share of|Share of")), _POSSESSIVE,
                          keep_text=True),
        ],
        how="diagonal_relaxed",
    )
    rows = _subjects(found, passages, sentences)
    lists = _source_lists(pct, open_lines, passages, documents)
    facts = pl.concat([rows, lists], how="diagonal_relaxed")
    if facts.is_empty():
        return pl.DataFrame(schema=_schema())
    return (
        facts.sort("doc_id", "start")
        .unique(["doc_id", "start", "end"], keep="first", maintain_order=True)
        # "Europe holds 35% of capacity. North America accounts for 25%": the metric carries over from
        # a share in the same or the previous sentence
        .with_columns(
            pl.when(pl.col("metric").is_null() & (pl.col("seq").shift(1).over("doc_id") >= pl.col("seq") - 1))
            .then(pl.col("metric").shift(1).over("doc_id"))
            .otherwise(pl.col("metric"))
            .alias("metric")
        )
        .select(COLUMNS)
    )


def _schema() -> dict[str, pl.DataType]:
    return {"doc_id": pl.String(), "passage_id": pl.String(), "start": pl.Int64(), "end": pl.Int64(),
            "quote": pl.String(), "region": pl.String(), "share_pct": pl.Float64(), "qualifier": pl.String(),
            "metric": pl.String(), "year": pl.Int32()}


def qualifier_expr(words: pl.Expr) -> pl.Expr:
    """Bound words ("more than", "about", "~") to the qualifier vocabulary; null when none."""
    w = words.str.to_lowercase().str.strip_chars()
    return (
        pl.when(w.str.contains(r"^(?:over|more than|above|in excess of|exceeding|upwards of|just over)$"))
        .then(pl.lit("over"))
        .when(w.str.contains(r"^(?:approximately|approx\.|about|around|roughly|an estimated|~)$"))
        .then(pl.lit("approximately"))
        .when(w.str.contains(r"^(?:nearly|almost|close to|just under)$"))
        .then(pl.lit("nearly"))
        .when(w == "at least")
        .then(pl.lit("at_least"))
        .when(w.str.contains(r"^(?:up to|as much as)$"))
        .then(pl.lit("up_to"))
        .when(w.str.contains(r"^(?:less than|under|below)$"))
        .then(pl.lit("under"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )


def metric_expr(text: pl.Expr, *, fallback: bool = True) -> pl.Expr:
    """A short readable label for what the share is of ("refined output", "imports", "market revenue")."""
    t = text.str.to_lowercase()
    return (
        pl.when(t.str.contains(r"import")).then(pl.lit("imports"))
        .when(t.str.contains(r"export")).then(pl.lit("exports"))
        .when(t.str.contains(r"refin\w*\s+(?:\w+\s+){0,3}capacit|capacit\w*\s+(?:\w+\s+){0,2}refin"))
        .then(pl.lit("refining capacity"))
        .when(t.str.contains(r"capacit")).then(pl.lit("capacity"))
        .when(t.str.contains(r"refined\b.*\b(?:output|production|supply)|refin\w*\s+output"))
        .then(pl.lit("refined output"))
        .when(t.str.contains(r"demand|consumption")).then(pl.lit("demand"))
        .when(t.str.contains(r"reserve")).then(pl.lit("reserves"))
        .when(t.str.contains(r"revenue|sales|market\b|market share|value")).then(pl.lit("market revenue"))
        .when(t.str.contains(r"production|output|mined|mining|mine\b")).then(pl.lit("production"))
        .when(t.str.contains(r"supply|supplies")).then(pl.lit("supply"))
        .when(t.str.contains(r"process|refin")).then(pl.lit("processing"))
        .otherwise(t.str.strip_chars().str.slice(0, 40) if fallback else pl.lit(None, dtype=pl.String))
    )


def _subjects(found: pl.DataFrame, passages: pl.DataFrame, sentences: pl.DataFrame) -> pl.DataFrame:
    """Keep matches whose subject is a place, a company or a place referred back to; name it."""
    if found.is_empty():
        return pl.DataFrame()
    starts = sentences.select("passage_id", pl.col("start").alias("_p_start"), "seq")
    rows = (
        found.join(starts, on="passage_id", how="left")
        .with_row_index("_rid")
        .with_columns(pl.col("passage").str.slice(pl.col("end") - pl.col("_p_start")).alias("_after"))
        .filter(~pl.col("_after").str.contains(_NOT_A_SHARE_AFTER))
    )
    if rows.is_empty():
        return pl.DataFrame()
    rows = rows.join(_subject_features(rows.select("subj")), on="subj", how="left", nulls_equal=True,
                     maintain_order="left")
    known = _known_companies(passages, rows)
    rows = rows.join(known, on="_rid", how="left").with_columns(pl.col("_by_list").fill_null(False))
    rows = rows.with_columns(
        (~pl.col("_element") & (pl.col("_by_words") | pl.col("_by_list"))).alias("_company"),
    ).with_columns(
        pl.when(pl.col("_region").is_not_null()).then(pl.col("_region"))
        .when(pl.col("_all_regions")).then(pl.col("_joined"))
        .when(pl.col("_unnamed") & pl.col("subj").str.contains(r"region|jurisdiction"))
        .then(pl.lit("single region (unnamed)"))
        .when(pl.col("_unnamed")).then(pl.lit("single country (unnamed)"))
        .when(pl.col("_company") & pl.col("_poss_site").is_not_null())
        .then(pl.concat_str(pl.col("_poss_owner"), pl.lit(" ("), pl.col("_poss_site"), pl.lit(")")))
        .when(pl.col("_company")).then(pl.col("_oparts").list.join(" + "))
        .otherwise(pl.lit(None, dtype=pl.String))
        .alias("region"),
    )
    rows = _resolve_anaphora(rows, passages).filter(pl.col("region").is_not_null())
    # qualifier and metric words repeat: label each distinct one once; the passage is only read for
    # a metric where the match names none
    rows = with_distinct(rows, ["qual"], qualifier_expr(pl.col("qual")).alias("qualifier"))
    rows = with_distinct(rows, ["metric"], metric_expr(pl.col("metric")).alias("_metric"))
    unlabelled = rows.filter(pl.col("_metric").is_null()).select(pl.col("passage").unique())
    rows = rows.join(
        unlabelled.with_columns(metric_expr(pl.col("passage"), fallback=False).alias("_passage_metric")),
        on="passage", how="left", maintain_order="left",
    )
    return rows.with_columns(
        pl.col("pct").cast(pl.Float64, strict=False).alias("share_pct"),
        pl.coalesce("_metric", "_passage_metric").alias("metric"),
        _year(
            pl.concat_str(pl.col("metric").fill_null(""), pl.col("_after")),
            pl.col("passage").str.slice(0, pl.col("start") - pl.col("_p_start")),
        ).alias("year"),
    ).filter(pl.col("share_pct") <= 100)


def _subject_features(subjects: pl.DataFrame) -> pl.DataFrame:
    """Per distinct subject as matched (`subj`): what it names, read from its words alone.

    `_subj` (without leading noise or a possessive), `_region` (a place, also as "Chinese
    producers"), `_anaphor` ("the region"), `_all_regions`/`_joined` (every part of "A and B" a
    place), owner and site of "X's Y facility", `_oparts` and `_by_words` (every owner part carries
    a company word), `_element` and `_unnamed` ("a single region"). Subjects repeat across a
    document, so each is read once.
    """
    features = (
        subjects.unique()
        .with_columns(
            pl.col("subj").str.replace(_LEADING_NOISE, "").str.replace(r"['’]s?$", "").alias("_subj"),
            pl.col("subj").str.contains(_UNNAMED).alias("_unnamed"),
        )
        .with_columns(
            pl.coalesce(
                normalize_regions(pl.col("_subj")),
                normalize_regions(pl.col("_subj").str.replace(_DESCRIPTOR, "")),
                pl.col("_subj").str.replace(_DESCRIPTOR, "").str.to_lowercase()
                .replace_strict(DEMONYMS, default=None, return_dtype=pl.String),
            ).alias("_region"),
            pl.col("_subj").str.contains(r"(?i)^(?:the|this|that)\s+(?:region|country|continent|nation|area|bloc)$")
            .alias("_anaphor"),
            pl.col("_subj").str.contains(_ELEMENTS).alias("_element"),
            # "A and B", "A, B and C": each part a region?
            _split_parts(pl.col("_subj")).alias("_parts"),
        )
    )
    parts = (
        features.select("subj", "_parts").explode("_parts")
        .with_columns(normalize_regions(pl.col("_parts")).alias("_pr"))
        .group_by("subj")
        .agg(pl.col("_pr").is_not_null().all().alias("_all_regions"),
             pl.col("_pr").str.join(" + ").alias("_joined"))
    )
    return (
        features.join(parts, on="subj", how="left", nulls_equal=True)
        .with_columns(pl.col("_subj").str.replace(_FACILITY, "").alias("_owner"))
        .with_columns(
            # "X' Y facility" -> owner X, site Y
            pl.col("_owner").str.extract(r"^(.+?)['’]s?\s+(.+)$", 1).alias("_poss_owner"),
            pl.col("_owner").str.extract(r"^(.+?)['’]s?\s+(.+)$", 2).alias("_poss_site"),
        )
        .with_columns(_split_parts(pl.coalesce("_poss_owner", "_owner")).alias("_oparts"))
        .with_columns(
            pl.col("_oparts").list.eval(pl.element().str.contains(_COMPANY_WORDS)).list.all().alias("_by_words"),
        )
        .drop("_parts")
    )


def _split_parts(subject: pl.Expr) -> pl.Expr:
    """ "A, B and C" -> [A, B, C] (a marker replace, then a plain split)."""
    return subject.str.replace_all(r",\s+(?:and\s+)?|\s+and\s+|\s+&\s+", "\x1f").str.split("\x1f")


def _known_companies(passages: pl.DataFrame, rows: pl.DataFrame) -> pl.DataFrame:
    """Per candidate fact: whether every part of its subject is a company the document names."""
    candidates = rows.filter(
        pl.col("_region").is_null() & ~pl.col("_anaphor") & ~pl.col("_all_regions") & ~pl.col("_by_words")
        & pl.col("_subj").str.contains(r"^[A-Z0-9]") & ~pl.col("_subj").str.contains(_UNNAMED)
    )
    schema = {"_rid": pl.UInt32, "_by_list": pl.Boolean}
    if candidates.is_empty():
        return pl.DataFrame(schema=schema)
    mentions = company_mentions(passages.join(candidates.select("doc_id").unique(), on="doc_id", how="semi"))
    if mentions.is_empty():
        return pl.DataFrame(schema=schema)
    keys = mentions.select("doc_id", canonical_company_expr(pl.col("name")).alias("_key")).unique()
    parts = candidates.select("_rid", "doc_id", pl.col("_oparts").alias("_part")).explode("_part").with_columns(
        canonical_company_expr(pl.col("_part")).alias("_pkey")
    )
    long_enough = pl.col("_pkey").str.len_chars() > 3
    return (
        parts.join(keys, on="doc_id", how="left")
        .with_columns(
            ((pl.col("_pkey") == pl.col("_key"))
             | (long_enough & pl.col("_key").str.contains(pl.col("_pkey"), literal=True))
             | (long_enough & pl.col("_pkey").str.contains(pl.col("_key"), literal=True)))
            .fill_null(False)
            .alias("_hit")
        )
        .group_by("_rid", "_part")
        .agg(pl.col("_hit").any())
        .group_by("_rid")
        .agg(pl.col("_hit").all().alias("_by_list"))
    )


def _resolve_anaphora(rows: pl.DataFrame, passages: pl.DataFrame) -> pl.DataFrame:
    """"The region" / "the country": the nearest place of that kind named earlier in the document."""
    anaphoric = rows.filter(pl.col("_anaphor"))
    if anaphoric.is_empty():
        return rows
    # the place is looked for in the passages just before the reference, not the whole document
    window = anaphoric.select("doc_id", pl.col("seq").alias("_a_seq")).unique()
    earlier = (
        passages.join(window, on="doc_id", how="inner")
        .filter((pl.col("seq") <= pl.col("_a_seq")) & (pl.col("seq") >= pl.col("_a_seq") - _LOOKBACK))
        .unique("passage_id")
        .drop("_a_seq")
    )
    mentions = regex_matches(earlier, region_pattern())
    if mentions.is_empty():
        return rows
    levels = region_table().select("region", "level")
    mentions = (
        mentions.with_columns(normalize_regions(pl.col("quote")).alias("_mention"))
        .join(levels, left_on="_mention", right_on="region", how="inner")
        .with_columns((pl.col("level") == "country").alias("_is_country"))
        .select("doc_id", pl.col("start").alias("_m_start"), "_mention", "_is_country")
        .sort("_m_start")
    )
    wanted = anaphoric.with_columns(
        pl.col("_subj").str.contains(r"(?i)country|nation").alias("_is_country")
    ).sort("start")
    resolved = wanted.join_asof(
        mentions, left_on="start", right_on="_m_start", by=["doc_id", "_is_country"], strategy="backward",
        check_sortedness=False,
    ).select("_rid", pl.col("_mention"))
    return rows.join(resolved, on="_rid", how="left").with_columns(
        pl.when(pl.col("_anaphor")).then(pl.col("_mention")).otherwise(pl.col("region")).alias("region")
    )


def _year(after: pl.Expr, before: pl.Expr) -> pl.Expr:
    """The year a share refers to: "in/as of 2024" in the rest of its clause, else "In 2024," before it."""
    pattern = r"(?i)\b(?:in|as of|by|during|for|through)\s+(?:the\s+(?:end|year)\s+of\s+)?((?:19|20)\d{2})\b"
    clause = after.str.extract(r"^([^,;]*)", 1)
    return pl.coalesce(clause.str.extract(pattern, 1), before.str.extract(pattern, 1)).cast(pl.Int32)


def _source_lists(pct: pl.DataFrame, open_lines: pl.DataFrame, passages: pl.DataFrame,
                  documents: pl.DataFrame) -> pl.DataFrame:
    """"Place, N%; Place, N%; and other, N%" lists, which may run over a line break into the next passage.

    `pct` are the passages with a digit and a percentage word, `open_lines` those without a digit that
    have a percentage word and end with a comma; both carry their row number (`_row`).
    """
    listy = rf"(?:,\s*(?:\d{{1,2}}\s+)?\d{{1,3}}(?:\.\d+)?%\s*[;,.]|\(\d{{1,3}}(?:\.\d+)?%\)|{_OPEN_LINE})"
    # (without a digit, only the comma at the end can make a passage list-like)
    candidates = pl.concat([pct.filter(pl.col("text").str.contains(listy)), open_lines]).sort("_row").drop("_row")
    if candidates.is_empty():
        return pl.DataFrame()
    # the window is the passage with the one before it, joined by blanks as long as the gap between
    # them (the gap is whitespace; an item that spans it gets its exact quote from the document below)
    keys = candidates.select("doc_id", (pl.col("seq") - 1).alias("seq"))
    previous = passages.join(keys, on=["doc_id", "seq"], how="semi").select(
        "doc_id", (pl.col("seq") + 1).alias("seq"), pl.col("start").alias("_prev_start"),
        pl.col("end").alias("_prev_end"), pl.col("text").alias("_prev_text"),
    )
    gap = pl.col("start") - pl.col("_prev_end")
    joinable = pl.col("_prev_text").is_not_null() & (gap <= len(_BLANKS))
    windows = candidates.join(previous, on=["doc_id", "seq"], how="left").select(
        "doc_id",
        "passage_id",
        "seq",
        pl.when(joinable).then(pl.col("_prev_start")).otherwise(pl.col("start")).alias("start"),
        pl.when(joinable)
        .then(pl.concat_str(pl.col("_prev_text"), pl.lit(_BLANKS).str.slice(0, gap), pl.col("text")))
        .otherwise(pl.col("text"))
        .alias("text"),
        pl.when(joinable).then(pl.col("_prev_end")).alias("_gap_start"),
        pl.when(joinable).then(pl.col("start")).alias("_gap_end"),
    )
    items = regex_matches(windows, _LIST_ITEM, keep_text=True)
    if items.is_empty():
        return pl.DataFrame()
    items = _exact_quotes(items.join(windows.select("passage_id", "seq", "_gap_start", "_gap_end"), on="passage_id"),
                          documents)
    items = items.with_columns(
        pl.when(pl.col("subj").str.contains(r"^[Oo]ther")).then(pl.lit("Other"))
        .otherwise(normalize_regions(pl.col("subj"))).alias("region"),
    ).filter(pl.col("region").is_not_null())
    # a list has at least two places in the same window
    items = items.filter(pl.len().over("passage_id") >= 2)
    return items.with_columns(
        pl.col("pct").cast(pl.Float64, strict=False).alias("share_pct"),
        pl.lit(None, dtype=pl.String).alias("qualifier"),
        pl.when(pl.col("passage").str.contains(r"(?i)import")).then(pl.lit("imports"))
        .when(pl.col("passage").str.contains(r"(?i)export")).then(pl.lit("exports"))
        .otherwise(metric_expr(pl.col("passage")))
        .alias("metric"),
        pl.lit(None, dtype=pl.Int32).alias("year"),
    ).filter(pl.col("share_pct") <= 100)


def _exact_quotes(items: pl.DataFrame, documents: pl.DataFrame) -> pl.DataFrame:
    """Items that span the gap between two passages take their quote from the document text."""
    spans = (pl.col("start") < pl.col("_gap_start")) & (pl.col("end") > pl.col("_gap_end"))
    spanning = items.filter(spans.fill_null(False))
    if spanning.is_empty():
        return items
    fixed = spanning.join(documents.select("doc_id", pl.col("text").alias("_doc")), on="doc_id", how="left")
    fixed = fixed.with_columns(
        pl.col("_doc").str.slice(pl.col("start"), pl.col("end") - pl.col("start")).alias("quote")
    ).drop("_doc")
    return pl.concat([items.filter(~spans.fill_null(False)), fixed.select(items.columns)])
