"""Company lists: who the report names as market players, with the country where it says so.

Only explicit lists and unmistakable company mentions count, because a report is full of
capitalized phrases (headings, programmes, segments) and of companies that are customers
rather than players. Three phrasings are read:

- a trigger followed by a list in running text ("Key players include A, B, and C", "enterprises
  including A and B", "Major Players:" followed by names glued together without separators);
- one name per line under a players heading, or consecutive "Name (Country)" lines;
- a name carrying a legal form ("... Ltd.", "... Corporation") in running text.

Everything runs on whole frames: one regex pass per phrasing over prefiltered passages, items
split with marker characters and exploded, offsets from cumulative lengths.
"""

from __future__ import annotations

import polars as pl

from transforms.company_names import canonical_company_expr
from transforms.matching import any_case, regex_matches, with_distinct
from transforms.regions import normalize_regions

COLUMNS = ("doc_id", "passage_id", "start", "end", "quote", "name", "country")

_CUT = "\x1f"  # item boundary marker, never present in normalized text
_COMMA = "\x1e"  # a comma that belongs to a name ("Co., Ltd.") hidden while splitting on commas

_PLAYER_WORDS = ("players", "companies", "manufacturers", "vendors", "producers", "participants", "refiners",
                 "miners", "suppliers")
_PLAYERS = "(?:" + "|".join(_PLAYER_WORDS) + ")"
_QUALIFIERS = r"(?:key|major|leading|prominent|top|notable|main|principal|dominant|important|established)"
_LEGAL = (
    r"(?:Co\.,?\s?Ltd\.?|Co\.|Ltd\.?|Limited|Inc\.?|Incorporated|Corp\.?|Corporation|plc|PLC|GmbH|AG|"
    r"S\.A\.|SA|N\.V\.|B\.V\.|LLC|L\.L\.C\.|Pty\.?\s?Ltd\.?|Pte\.?\s?Ltd\.?|S\.p\.A\.|SE|KK|Bhd\.?)"
)
# A name: capitalized tokens, with lower-case connectors only between them.
_TOKEN = r"(?:[A-Z0-9][\w&'’.+\-]*|&|plc|ltd\.?|inc\.?)"
_CONNECTOR = r"(?:of|and|de|du|der|von|van|la|le|y|für|the)"
_NAME = rf"[A-Z0-9][\w&'’.+\-]*(?:,?\s(?:{_CONNECTOR}\s)?{_TOKEN})*"

# Patterns count words, not characters ("(?:\s+\S+){0,6}" rather than ".{0,60}"), and use ASCII
# word boundaries: bounded character repeats and Unicode boundaries defeat the regex engine's DFA
# and cost ten times the time.
_B = r"(?-u:\b)"
_WORDS = r"(?:\s+[A-Za-z0-9&'’-]+){0,6}?"
_CLAUSE_WORDS = r"(?:\s+[^\s.:;%]+){0,10}?"
_LIST_VERB = r"(?i:include|includes|included|including|are|comprise|such as)"
_TRIGGERS = (
    rf"{_B}(?i:{_QUALIFIERS}){_WORDS}\s+(?i:{_PLAYERS}){_CLAUSE_WORDS}\s+{_LIST_VERB}\s*:?\s*"
    rf"|{_B}(?i:{_PLAYERS}|enterprises|firms|groups)\s*,?\s+(?i:including|such as)\s+"
    rf"|{_B}(?i:{_PLAYERS})(?:\s+(?i:profiled|covered|included|analy[sz]ed))?\s*:\s*"
    rf"|{_B}(?i:tier)\s*(?:[1-3]|I{{1,3}})\s*(?i:players|companies|suppliers)?\s*:\s*"
)
# A cheap test for a list trigger, run before the full list pattern.
_TRIGGER = rf"(?:{_TRIGGERS})[A-Z0-9]"
# Trigger + list in running text; the list runs to "among others" or the end of the sentence.
_INLINE_LIST = (
    rf"(?:{_TRIGGERS})"
    r"(?P<list>[A-Z0-9].*?)"
    r"(?P<stop>,?\s+(?:among others|amongst others|and others|and more|etc\.?)|"
    r"Other\s+(?:Prominent\s+|Key\s+|Major\s+|Notable\s+)?Players|[.;]?$)"
)
_MAX_RUN = 60
_MAX_ITEM_CHARS = 140  # a line longer than this is not one list item
# Cheap literal tests that pick the passages worth the full patterns.
_PLAYER_HINT = any_case((*_PLAYER_WORDS, "enterprises", "firms", "groups", "tier"))
_LEGAL_HINT = r"Ltd|Limited|Inc|Corp|plc|PLC|GmbH|AG|LLC|S\.A\.|N\.V\."
# Buyers named in a list are not market players ("automotive manufacturers such as ...").
_DEMAND_SIDE = (
    r"(?i)(?-u:\b)(?:automotive|automakers?|auto|car|cars|vehicles?|EVs?|electric vehicle|wind|turbines?|"
    r"electronics|aerospace|defen[cs]e|aircraft|OEMs?|consumer|downstream|end-use|end users?|battery|"
    r"customers?|buyers?|smartphone|appliance)(?-u:\b)"
)
# A heading over a list: a short line that ends with the players word ("Key Industry Players",
# "List of Companies Profiled") or with a colon, and says which players ("key", "list of", ...).
# End-anchored, so it is cheap to test.
_HEADING = (
    rf"(?i:{_PLAYERS}){_B}(?:\s+(?i:profiled|covered|included|analy[sz]ed|in the report|in the market))?"
    r"\s*:?$|:$"
)
_HEADING_WHICH = rf"{_B}(?i:list of|{_QUALIFIERS}|profiled|covered|selected){_B}"
_HEADING_MAX = 100

_BULLET = r"(?:[-*•·▪◦►]|\d{1,2}[.)]|\(?[a-z]\))\s+"
_LINE_ITEM = (
    rf"^(?:{_BULLET})?(?P<full>(?P<name>{_NAME})(?:\s*\((?P<paren>[^()]{{2,40}})\))?)\s*[.;,]?$"
)
_SUFFIX_MENTION = (
    rf"(?P<name>(?:[A-Z][\w&'’.\-]*\s+){{0,5}}?[A-Z][\w&'’.\-]*,?\s+{_LEGAL})(?:[^\w]|$)"
)
# Words that start sentences or headings, not company names ("However, Acme Corp." keeps Acme Corp.).
_LEADING_NOISE = (
    r"^(?:(?:The|A|An|In|On|At|By|For|From|With|While|Meanwhile|However|Moreover|Additionally|Also|"
    r"And|But|As|Since|After|Before|Under|Through|Notably|Similarly|Recently|Today|Yesterday|Earlier|"
    r"Last|This|That|These|Those|Its|Their|Our|When|Although|Both|Including|Led|Rival|Peer)\s+)+"
)
# Items that are list furniture or generic words, not companies.
_NOT_A_NAME = (
    r"(?i)^(?:others?|other\b.*|by\b.*|key\b.*|list\b.*|top\b.*|and\b.*|etc\.?|more|n/?a)$"
    r"|(?i)\b(?:players|companies|segmentation|segments?|market|markets|analysis|overview|report|"
    r"profiles?|region|regions|forecast|revenue|application|applications|type|types|"
    r"outlook|share|trends?|demand|capacity|production)\b"
    # plural trade nouns end segment names ("Defense Contractors"), not company names
    r"|(?i)\b(?:manufacturers|providers|contractors|suppliers|vendors|producers|users|consumers|operators|"
    r"integrators|distributors|retailers|utilities)$"
)


def extract(passages: pl.DataFrame, documents: pl.DataFrame) -> pl.DataFrame:
    """Company rows (name as written, country where stated) with provenance, one per company per document."""
    if passages.is_empty():
        return pl.DataFrame(schema=_schema())
    players = _player_passages(passages)
    inline = _inline_lists(players)
    lines = _line_lists(passages, players)
    listed = pl.concat([inline, lines], how="vertical_relaxed")
    legal = _legal_passages(passages)
    mentions = _suffix_mentions(legal.join(listed.select("passage_id").unique(), on="passage_id", how="anti"))
    rows = pl.concat([listed, mentions], how="vertical_relaxed")
    return _finish(rows)


def company_mentions(passages: pl.DataFrame) -> pl.DataFrame:
    """Every company name found (lists and legal-form mentions), not deduplicated: for attribution."""
    if passages.is_empty():
        return pl.DataFrame(schema=_schema())
    players = _player_passages(passages)
    inline = _inline_lists(players)
    lines = _line_lists(passages, players)
    mentions = _suffix_mentions(_legal_passages(passages))
    return _clean(pl.concat([inline, lines, mentions], how="vertical_relaxed"))


def suffix_mentions(passages: pl.DataFrame) -> pl.DataFrame:
    """Names carrying a legal form in running text only (cheap: a literal prefilter, then one pattern)."""
    found = _suffix_mentions(_legal_passages(passages))
    if found.is_empty():
        return pl.DataFrame(schema=_schema())
    return _clean(found)


def _schema() -> dict[str, pl.DataType]:
    return {"doc_id": pl.String(), "passage_id": pl.String(), "start": pl.Int64(), "end": pl.Int64(),
            "quote": pl.String(), "name": pl.String(), "country": pl.String()}


def _player_passages(passages: pl.DataFrame) -> pl.DataFrame:
    """The passages that name players (or enterprises, firms, groups, tiers): where lists can be."""
    return passages.filter(pl.col("text").str.contains(_PLAYER_HINT))


def _legal_passages(passages: pl.DataFrame) -> pl.DataFrame:
    """The passages with a legal-form word: where legal-form mentions can be."""
    return passages.filter(pl.col("text").str.contains(_LEGAL_HINT))


def _inline_lists(players: pl.DataFrame) -> pl.DataFrame:
    """Names in trigger lists; items split on commas, 'and', semicolons and glued-name boundaries.

    `players` are the passages `_player_passages` keeps.
    """
    candidates = players.filter(pl.col("text").str.contains(_TRIGGER))
    # a trigger starts a list (its stop can be the end of the passage): no second test
    found = regex_matches(candidates, _INLINE_LIST, keep_text=True, prefiltered=True)
    if found.is_empty():
        return _empty_rows()
    # "EV manufacturers such as A and B" lists customers, not players of this market
    starts = candidates.select("passage_id", pl.col("start").alias("_p_start"))
    trigger = pl.col("quote").str.slice(
        0, pl.col("quote").str.len_chars() - pl.col("list").str.len_chars() - pl.col("stop").str.len_chars()
    )
    lead = pl.col("passage").str.slice(0, pl.col("start") - pl.col("_p_start")).str.slice(-30)
    found = (
        found.join(starts, on="passage_id", how="left")
        # only the words right before the players noun say whose players they are
        .filter(~pl.concat_str(lead, trigger.str.extract(rf"^(.*?)(?i:{_PLAYERS}|enterprises|firms|groups)", 1),
                               ignore_nulls=True).str.contains(_DEMAND_SIDE))
        .drop("passage", "_p_start")
    )
    items = (
        found.with_columns(
            (pl.col("end") - pl.col("stop").str.len_chars() - pl.col("list").str.len_chars()).alias("_lstart"),
            pl.int_range(pl.len()).alias("_k"),
        )
        .with_columns(
            pl.col("list")
            # hide commas that belong to a legal form, so they do not split a name
            .str.replace_all(r",(\s?(?:Ltd|Inc|LLC|L\.L\.C|S\.A|SA|AG|Limited|Co|Corp|plc|N\.V|B\.V|GmbH|"
                             r"Pty|Pte|S\.p\.A|Bhd)\b)", _COMMA + "${1}")
            # separators: ", ", "; ", " and ", ", and "
            .str.replace_all(r"(,\s*(?:and\s+|&\s+)?|;\s*|\s+and\s+)", "${1}" + _CUT)
            # names glued together: "CorporationShin-Etsu", "Ltd.Daido", "Ltd .MP", "(VAC)Arnold"
            .str.replace_all(r"([a-z]{2}|[.)])([A-Z][a-z]|[A-Z]{2,}\s)", "${1}" + _CUT + "${2}")
            .str.split(_CUT)
            .alias("item")
        )
        .explode("item")
        .with_columns(pl.col("item").str.len_chars().cast(pl.Int64).alias("_len"))
        .with_columns(pl.col("_len").cum_sum().alias("_cum"))
        # each list's items start where the previous item ends: a running total restarted per list
        .with_columns(
            (pl.col("_lstart") + pl.col("_cum") - pl.col("_len")
             - pl.when(pl.col("_k") != pl.col("_k").shift(1, fill_value=-1))
             .then(pl.col("_cum") - pl.col("_len")).forward_fill())
            .alias("_istart"),
            pl.col("item").str.replace_all(_COMMA, ",", literal=True),
        )
    )
    return _items_to_rows(items)


def _items_to_rows(items: pl.DataFrame) -> pl.DataFrame:
    """The name at the head of each item (and a "(Country)" after it), with exact offsets."""
    head = rf"^(?P<_lead>\s*)(?P<full>(?P<name>{_NAME})(?:\s*\((?P<paren>[^()]{{2,40}})\))?)"
    parsed = with_distinct(items, ["item"], pl.col("item").str.extract_groups(head).alias("_g")).unnest("_g")
    return parsed.filter(pl.col("name").is_not_null()).select(
        "doc_id",
        "passage_id",
        (pl.col("_istart") + pl.col("_lead").str.len_chars()).alias("start"),
        "name",
        "full",
        "paren",
    )


def _line_lists(passages: pl.DataFrame, players: pl.DataFrame) -> pl.DataFrame:
    """One name per line: runs of item lines under a players heading, or of "Name (Country)" lines.

    Only short lines can be items, and only lines shortly after a heading or ending in ")" can be in
    such a run, so the item pattern runs on those few lines; runs are consecutive `seq` numbers.
    Headings are looked for in `players` (the passages `_player_passages` keeps).
    """
    short = pl.col("text").str.len_chars() <= _MAX_ITEM_CHARS
    # eager filters one after the other (a lazy plan would fuse them into one predicate that runs
    # every pattern on every line), the end-anchored heading pattern (cheap) before the others
    heads = (
        players.filter(pl.col("text").str.len_chars() <= _HEADING_MAX)
        .filter(pl.col("text").str.contains(_HEADING))
        .filter(pl.col("text").str.contains(any_case(_PLAYER_WORDS)))
        .filter(pl.col("text").str.contains(_HEADING_WHICH))
        .select("doc_id", pl.col("seq").alias("_head_seq"))
    )
    # lines after a heading (a list is at most _MAX_RUN long; keys only, no text copied) and
    # "(Country)" lines anywhere
    following = (
        heads.select("doc_id", pl.int_ranges(pl.col("_head_seq") + 1, pl.col("_head_seq") + 1 + _MAX_RUN,
                                             dtype=pl.Int32).alias("seq"))
        .explode("seq")
        .unique()
    )
    after_head = (passages.join(following, on=["doc_id", "seq"], how="semi").filter(short) if heads.height
                  else passages.clear())
    paren = passages.filter(pl.col("text").str.contains(r"\)\s*[.;,]?$")).filter(short)
    if after_head.is_empty() and paren.is_empty():
        return _empty_rows()
    lines = (
        pl.concat([after_head, paren])
        .unique("passage_id")
        .with_columns(pl.col("text").str.extract_groups(_LINE_ITEM).alias("_g"))
        .unnest("_g")
        .filter(
            pl.col("name").is_not_null()
            & ~pl.col("name").str.contains(_NOT_A_NAME)
            & (pl.col("name").str.count_matches(r"\s+") <= 7)
        )
        .with_columns(normalize_regions(pl.col("paren")).alias("_country"))
        .sort("doc_id", "seq")
        .with_columns(
            (pl.col("seq") != pl.col("seq").shift(1).over("doc_id") + 1).fill_null(True).cast(pl.Int32)
            .cum_sum().over("doc_id").alias("_run")
        )
        .with_columns(
            (pl.col("seq").min().over("doc_id", "_run") - 1).alias("_head_seq"),
            pl.len().over("doc_id", "_run").alias("_run_items"),
            pl.col("_country").is_not_null().sum().over("doc_id", "_run").alias("_run_countries"),
        )
        .join(heads.with_columns(pl.lit(True).alias("_run_head")), on=["doc_id", "_head_seq"], how="left")
        .filter(
            (pl.col("_run_items") >= 2)
            & (pl.col("_run_head").fill_null(False) | (pl.col("_run_countries") >= 2))
        )
    )
    offset = pl.col("text").str.find(pl.col("name"), literal=True)
    return lines.select("doc_id", "passage_id", (pl.col("start") + offset).alias("start"), "name", "full",
                        "paren")


def _suffix_mentions(candidates: pl.DataFrame) -> pl.DataFrame:
    """Names carrying a legal form in running text ("Acme Rare Earths Ltd. said ...") in `candidates`,
    the passages `_legal_passages` keeps."""
    found = regex_matches(candidates, _SUFFIX_MENTION)
    if found.is_empty():
        return _empty_rows()
    return found.select(
        "doc_id",
        "passage_id",
        (pl.col("end") - pl.col("quote").str.len_chars()
         + pl.col("quote").str.find(pl.col("name"), literal=True)).alias("start"),
        "name",
        pl.col("name").alias("full"),
        pl.lit(None, dtype=pl.String).alias("paren"),
    )


def _empty_rows() -> pl.DataFrame:
    return pl.DataFrame(schema={"doc_id": pl.String, "passage_id": pl.String, "start": pl.Int64,
                                "name": pl.String, "full": pl.String, "paren": pl.String})


def _clean(rows: pl.DataFrame) -> pl.DataFrame:
    """Trim noise around names, split off a country in parentheses, drop what is not a company."""
    return _clean_keyed(rows).select(COLUMNS)


def _clean_keyed(rows: pl.DataFrame) -> pl.DataFrame:
    """`_clean`, keeping each name's canonical key as `_key`.

    Every rule reads only the name as found (`name`, `full`, `paren`), and a document names the
    same companies many times: the rules run once per distinct name, and join back.
    """
    name = pl.col("name")
    noise = name.str.extract(rf"({_LEADING_NOISE})", 1).fill_null("").str.len_chars()
    country = normalize_regions(pl.col("paren"))
    trimmed = (
        # trailing separators and stray spaced periods ("Co., Ltd .") are not part of the name
        name.str.slice(pl.col("_skip")).str.replace(r"[\s,;:]+\.?$", "")
    )
    cleaned = (
        pl.when(country.is_null() & pl.col("paren").is_not_null()
                & pl.col("paren").str.contains(r"^[A-Z][A-Za-z0-9&.\- ]*$"))
        .then(pl.col("full").str.slice(pl.col("_skip")))
        .otherwise(trimmed)
    )
    new = pl.col("_name")
    keep = (
        new.str.contains(r"[A-Za-z]{2}")
        & ~new.str.contains(_NOT_A_NAME)
        & (new.str.count_matches(r"\s+") <= 7)
        & normalize_regions(new).is_null()
        & (pl.col("_key").str.len_chars() >= 2)
    )
    distinct = (
        rows.select("name", "full", "paren").unique()
        .with_columns(noise.alias("_skip"))
        .with_columns(cleaned.alias("_name"), country.alias("country"))
        .with_columns(canonical_company_expr(pl.col("_name")).alias("_key"))
        .with_columns(keep.alias("_keep"))
    )
    return (
        rows.join(distinct, on=["name", "full", "paren"], how="left", nulls_equal=True, maintain_order="left")
        .filter(pl.col("_keep"))
        .with_columns((pl.col("start") + pl.col("_skip")).alias("start"), pl.col("_name").alias("name"))
        .with_columns((pl.col("start") + pl.col("name").str.len_chars()).alias("end"), pl.col("name").alias("quote"))
        .select(*COLUMNS, "_key")
    )


def _finish(rows: pl.DataFrame) -> pl.DataFrame:
    """One row per company and document: a row that states the country wins, then the first mention."""
    return (
        _clean_keyed(rows)
        .sort("doc_id", pl.col("country").is_null(), "start")
        .unique(["doc_id", "_key"], keep="first", maintain_order=True)
        .sort("doc_id", "start")
        .select(COLUMNS)
    )
