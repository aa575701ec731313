"""The region dimension: canonical names, the spellings reports use for them, and the hierarchy.

Market reports name the same place many ways ("APAC", "Asia Pacific", "Asia-Pacific"; "U.S.",
"USA"); facts are only comparable once they agree on one name. The hierarchy (country ->
sub-region -> region -> World) is what data-quality rules use to check, for example, that a
country's share does not exceed the share of the region that contains it. The tables are small
and built once in Python; lookups over fact columns are vectorized `replace_strict` calls.
"""

from __future__ import annotations

import re
from functools import lru_cache

import polars as pl

WORLD = "World"

# (canonical name, parent, level, aliases as written in text). Parent None only for the World.
# One tree: Asia-Pacific is the trade region reports use, Asia and Oceania sit under it.
_REGIONS: tuple[tuple[str, str | None, str, tuple[str, ...]], ...] = (
    (WORLD, None, "world", ("Global", "Worldwide", "World total", "the world", "Globe")),
    ("North America", WORLD, "region", ("N. America",)),
    ("Latin America", WORLD, "region", ("LATAM", "LatAm", "Latin America and the Caribbean",
                                        "Latin America & Caribbean", "Central and South America")),
    ("South America", "Latin America", "sub_region", ()),
    ("Central America and Caribbean", "Latin America", "sub_region", ("Central America", "Caribbean")),
    ("Europe", WORLD, "region", ("European region",)),
    ("European Union", "Europe", "trade_bloc", ("EU", "E.U.", "EU-27", "EU27")),
    ("Western Europe", "Europe", "sub_region", ()),
    ("Eastern Europe", "Europe", "sub_region", ("Central and Eastern Europe", "CEE")),
    ("Nordics", "Europe", "sub_region", ("Nordic countries", "Scandinavia")),
    ("Asia-Pacific", WORLD, "region", ("APAC", "Asia Pacific", "Asia/Pacific", "Asia-Pac", "AsiaPac",
                                       "Asia and Pacific", "Asia & Pacific", "Asia and the Pacific")),
    ("Asia", "Asia-Pacific", "sub_region", ()),
    ("East Asia", "Asia", "sub_region", ("Eastern Asia", "Northeast Asia")),
    ("Southeast Asia", "Asia", "sub_region", ("South-East Asia", "South East Asia", "ASEAN")),
    ("South Asia", "Asia", "sub_region", ("Southern Asia", "Indian subcontinent")),
    ("Central Asia", "Asia", "sub_region", ()),
    ("Oceania", "Asia-Pacific", "sub_region", ("Australasia", "Australia and New Zealand", "ANZ")),
    ("Middle East & Africa", WORLD, "region", ("MEA", "Middle East and Africa", "ME&A", "MENA")),
    ("Middle East", "Middle East & Africa", "sub_region", ("GCC", "Gulf region")),
    ("Africa", "Middle East & Africa", "sub_region", ("African continent",)),
    ("Sub-Saharan Africa", "Africa", "sub_region", ("SSA", "Sub Saharan Africa")),
    ("Rest of World", WORLD, "region", ("Rest of the World", "RoW")),
)

# (country, parent, aliases)
_COUNTRIES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("United States", "North America", ("US", "U.S.", "USA", "U.S.A.", "United States of America",
                                        "the United States", "the US", "the U.S.", "America")),
    ("Canada", "North America", ()),
    ("Mexico", "North America", ()),
    ("Greenland", "North America", ()),
    ("Brazil", "South America", ()),
    ("Argentina", "South America", ()),
    ("Chile", "South America", ()),
    ("Peru", "South America", ()),
    ("Colombia", "South America", ()),
    ("Bolivia", "South America", ()),
    ("Ecuador", "South America", ()),
    ("Venezuela", "South America", ()),
    ("Uruguay", "South America", ()),
    ("Paraguay", "South America", ()),
    ("Guatemala", "Central America and Caribbean", ()),
    ("Cuba", "Central America and Caribbean", ()),
    ("Dominican Republic", "Central America and Caribbean", ()),
    ("Jamaica", "Central America and Caribbean", ()),
    ("Panama", "Central America and Caribbean", ()),
    ("Germany", "European Union", ()),
    ("France", "European Union", ()),
    ("Italy", "European Union", ()),
    ("Spain", "European Union", ()),
    ("Portugal", "European Union", ()),
    ("Netherlands", "European Union", ("the Netherlands", "Holland")),
    ("Belgium", "European Union", ()),
    ("Luxembourg", "European Union", ()),
    ("Austria", "European Union", ()),
    ("Ireland", "European Union", ()),
    ("Denmark", "European Union", ()),
    ("Sweden", "European Union", ()),
    ("Finland", "European Union", ()),
    ("Poland", "European Union", ()),
    ("Czech Republic", "European Union", ("Czechia",)),
    ("Slovakia", "European Union", ()),
    ("Hungary", "European Union", ()),
    ("Romania", "European Union", ()),
    ("Bulgaria", "European Union", ()),
    ("Greece", "European Union", ()),
    ("Croatia", "European Union", ()),
    ("Slovenia", "European Union", ()),
    ("Estonia", "European Union", ()),
    ("Latvia", "European Union", ()),
    ("Lithuania", "European Union", ()),
    ("Cyprus", "European Union", ()),
    ("Malta", "European Union", ()),
    ("United Kingdom", "Europe", ("UK", "U.K.", "Britain", "Great Britain", "the UK", "the U.K.",
                                  "England")),
    ("Norway", "Europe", ()),
    ("Switzerland", "Europe", ()),
    ("Iceland", "Europe", ()),
    ("Serbia", "Europe", ()),
    ("Ukraine", "Europe", ()),
    ("Belarus", "Europe", ()),
    ("Russia", "Europe", ("Russian Federation",)),
    ("China", "East Asia", ("PRC", "People's Republic of China", "Mainland China", "mainland China")),
    ("Hong Kong", "East Asia", ()),
    ("Taiwan", "East Asia", ()),
    ("Japan", "East Asia", ()),
    ("South Korea", "East Asia", ("Korea", "Republic of Korea", "S. Korea")),
    ("North Korea", "East Asia", ()),
    ("Mongolia", "East Asia", ()),
    ("Myanmar", "Southeast Asia", ("Burma",)),
    ("Thailand", "Southeast Asia", ()),
    ("Vietnam", "Southeast Asia", ("Viet Nam",)),
    ("Laos", "Southeast Asia", ("Lao PDR",)),
    ("Cambodia", "Southeast Asia", ()),
    ("Malaysia", "Southeast Asia", ()),
    ("Singapore", "Southeast Asia", ()),
    ("Indonesia", "Southeast Asia", ()),
    ("Philippines", "Southeast Asia", ("the Philippines",)),
    ("India", "South Asia", ()),
    ("Pakistan", "South Asia", ()),
    ("Bangladesh", "South Asia", ()),
    ("Sri Lanka", "South Asia", ()),
    ("Nepal", "South Asia", ()),
    ("Kazakhstan", "Central Asia", ()),
    ("Uzbekistan", "Central Asia", ()),
    ("Kyrgyzstan", "Central Asia", ()),
    ("Tajikistan", "Central Asia", ()),
    ("Australia", "Oceania", ()),
    ("New Zealand", "Oceania", ()),
    ("Papua New Guinea", "Oceania", ()),
    ("Saudi Arabia", "Middle East", ("KSA",)),
    ("United Arab Emirates", "Middle East", ("UAE", "U.A.E.")),
    ("Qatar", "Middle East", ()),
    ("Oman", "Middle East", ()),
    ("Kuwait", "Middle East", ()),
    ("Bahrain", "Middle East", ()),
    ("Israel", "Middle East", ()),
    ("Jordan", "Middle East", ()),
    ("Iran", "Middle East", ()),
    ("Iraq", "Middle East", ()),
    ("Turkey", "Middle East", ("Türkiye", "Turkiye")),
    ("Egypt", "Africa", ()),
    ("Morocco", "Africa", ()),
    ("Algeria", "Africa", ()),
    ("Tunisia", "Africa", ()),
    ("Libya", "Africa", ()),
    ("South Africa", "Sub-Saharan Africa", ()),
    ("Nigeria", "Sub-Saharan Africa", ()),
    ("Madagascar", "Sub-Saharan Africa", ()),
    ("Tanzania", "Sub-Saharan Africa", ()),
    ("Kenya", "Sub-Saharan Africa", ()),
    ("Uganda", "Sub-Saharan Africa", ()),
    ("Malawi", "Sub-Saharan Africa", ()),
    ("Burundi", "Sub-Saharan Africa", ()),
    ("Namibia", "Sub-Saharan Africa", ()),
    ("Angola", "Sub-Saharan Africa", ()),
    ("Zambia", "Sub-Saharan Africa", ()),
    ("Zimbabwe", "Sub-Saharan Africa", ()),
    ("Mozambique", "Sub-Saharan Africa", ()),
    ("Botswana", "Sub-Saharan Africa", ()),
    ("Ghana", "Sub-Saharan Africa", ()),
    ("Ethiopia", "Sub-Saharan Africa", ()),
    ("Mali", "Sub-Saharan Africa", ()),
    ("Senegal", "Sub-Saharan Africa", ()),
    ("Rwanda", "Sub-Saharan Africa", ()),
    ("Democratic Republic of the Congo", "Sub-Saharan Africa", ("DRC", "DR Congo", "Congo (Kinshasa)")),
    ("Côte d'Ivoire", "Sub-Saharan Africa", ("Ivory Coast", "Cote d'Ivoire")),
)

# Adjectives that stand for a place ("Chinese producers"), for rules that read subjects of a sentence.
DEMONYMS: dict[str, str] = {
    "chinese": "China", "japanese": "Japan", "australian": "Australia", "american": "United States",
    "canadian": "Canada", "brazilian": "Brazil", "indian": "India", "russian": "Russia",
    "european": "Europe", "african": "Africa", "asian": "Asia", "korean": "South Korea",
    "malaysian": "Malaysia", "vietnamese": "Vietnam", "thai": "Thailand", "german": "Germany",
    "french": "France", "british": "United Kingdom", "north american": "North America",
    "latin american": "Latin America", "south american": "South America",
}

# Spellings accepted as labels but too ambiguous to treat as a mention in running text.
_NOT_IN_TEXT = frozenset({"America", "Global", "Globe", "Worldwide", "Caribbean", "Jordan"})


def region_key(name: str) -> str:
    """The lookup key of a written region name: case, dots, hyphens, '&' and a leading 'the' ignored."""
    key = name.lower().replace("&", " and ").replace("’", "'").replace(".", "")
    key = re.sub(r"[-/,()\s]+", " ", key).strip()
    return re.sub(r"^the ", "", key)


def _key_expr(expr: pl.Expr) -> pl.Expr:
    """`region_key` as a polars expression, so whole columns normalize without Python calls."""
    return (
        expr.str.to_lowercase()
        .str.replace_all("&", " and ", literal=True)
        .str.replace_all("’", "'", literal=True)
        .str.replace_all(".", "", literal=True)
        .str.replace_all(r"[-/,()\s]+", " ")
        .str.strip_chars()
        .str.replace(r"^the ", "")
    )


@lru_cache(maxsize=1)
def _alias_map() -> dict[str, str]:
    aliases: dict[str, str] = {}
    for name, _parent, _level, written in _REGIONS:
        for alias in (name, *written):
            aliases.setdefault(region_key(alias), name)
    for name, _parent, written in _COUNTRIES:
        for alias in (name, *written):
            aliases.setdefault(region_key(alias), name)
    return aliases


@lru_cache(maxsize=1)
def region_table() -> pl.DataFrame:
    """One row per canonical region: region, parent (None for the World), level."""
    rows = [(name, parent, level) for name, parent, level, _ in _REGIONS]
    rows += [(name, parent, "country") for name, parent, _ in _COUNTRIES]
    return pl.DataFrame(rows, schema={"region": pl.String, "parent": pl.String, "level": pl.String},
                        orient="row")


@lru_cache(maxsize=1)
def alias_table() -> pl.DataFrame:
    """Every accepted spelling (`alias`, as written) with its canonical `region`."""
    rows = [(alias, name) for name, _p, _l, written in _REGIONS for alias in (name, *written)]
    rows += [(alias, name) for name, _p, written in _COUNTRIES for alias in (name, *written)]
    return pl.DataFrame(rows, schema={"alias": pl.String, "region": pl.String}, orient="row")


def canonical_region(name: str | None) -> str | None:
    """The canonical name of a written region ("APAC" -> "Asia-Pacific"), None when unknown."""
    if not name:
        return None
    return _alias_map().get(region_key(name))


def normalize_regions(expr: pl.Expr) -> pl.Expr:
    """Vectorized `canonical_region` over a string column; unknown names become null."""
    mapping = _alias_map()
    return _key_expr(expr).replace_strict(list(mapping), list(mapping.values()), default=None,
                                          return_dtype=pl.String)


def region_level(name: str | None) -> str | None:
    """`country`, `sub_region`, `trade_bloc`, `region` or `world` for a region name."""
    canonical = canonical_region(name)
    if canonical is None:
        return None
    return _levels()[canonical]


@lru_cache(maxsize=1)
def _levels() -> dict[str, str]:
    return dict(zip(region_table()["region"], region_table()["level"], strict=True))


@lru_cache(maxsize=1)
def _parents() -> dict[str, str | None]:
    return dict(zip(region_table()["region"], region_table()["parent"], strict=True))


def ancestors(name: str | None) -> list[str]:
    """Canonical regions containing `name`, nearest first, ending with the World."""
    current = canonical_region(name)
    parents = _parents()
    chain: list[str] = []
    while current is not None and parents.get(current) is not None:
        current = parents[current]
        if current is not None:
            chain.append(current)
    return chain


def contains(outer: str | None, inner: str | None) -> bool:
    """Whether region `outer` contains region `inner` (a region does not contain itself)."""
    canonical_outer = canonical_region(outer)
    return canonical_outer is not None and canonical_outer in ancestors(inner)


@lru_cache(maxsize=1)
def hierarchy_table() -> pl.DataFrame:
    """All (region, ancestor, depth) pairs: the closure of the tree, for joins in quality rules."""
    rows = [(region, anc, depth + 1) for region in region_table()["region"]
            for depth, anc in enumerate(ancestors(region))]
    return pl.DataFrame(rows, schema={"region": pl.String, "ancestor": pl.String, "depth": pl.Int32},
                        orient="row")


@lru_cache(maxsize=4)
def region_pattern(*, include_world: bool = False) -> str:
    """A regex alternation of every region spelling as written (longest first), for mentions in text.

    Case-sensitive on purpose: region names are proper nouns, and "us" or "gulf" in lower case are
    ordinary words. The World's aliases ("global", "the world") are left out unless asked for.
    """
    table = alias_table()
    if not include_world:
        table = table.filter(pl.col("region") != WORLD)
    written = {a for a in table["alias"] if not a.startswith("the ") and a not in _NOT_IN_TEXT}
    aliases = sorted(written, key=len, reverse=True)
    # ASCII word boundaries keep the pattern on the regex engine's fast path
    parts = [re.escape(a) + (r"(?-u:\b)" if a[-1].isalnum() else "") for a in aliases]
    return r"(?-u:\b)(?:" + "|".join(parts) + ")"
