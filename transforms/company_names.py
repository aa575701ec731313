"""The company dimension: one canonical key per company, and clusters of spelling variants.

Reports write the same producer as "Lynas Corporation", "Lynas Rare Earths Ltd." or "Lynas";
facts about it only add up once those resolve together. The canonical key drops case,
punctuation and legal-form suffixes; clustering then joins keys that are spelling variants
(rapidfuzz ratio) or where one is a leading part of the other ("lynas" / "lynas rare earths"),
while keeping apart different companies that merely share words ("China Northern Rare Earth
Group" / "China Minmetals Rare Earth").
"""

from __future__ import annotations

import re

import polars as pl
from rapidfuzz import fuzz, process

# Legal forms and holding words, stripped from the end of a name (repeatedly: "Co., Ltd.").
LEGAL_SUFFIXES = (
    "ltd", "limited", "inc", "incorporated", "corp", "corporation", "co", "company", "plc", "group",
    "holding", "holdings", "gmbh", "kg", "ag", "sa", "nv", "bv", "llc", "llp", "lp", "pty", "spa",
    "srl", "sarl", "sas", "se", "oyj", "ab", "asa", "as", "kk", "pte", "bhd", "sdn", "tbk", "jsc",
    "pjsc", "ojsc", "ooo", "nl", "cv", "de", "and",
)
_SUFFIX_RE = re.compile(r"(?:\s+(?:" + "|".join(LEGAL_SUFFIXES) + r"))+$")
# Words too general to identify a company when a name is only a leading part of another.
_GENERIC_LEADS = frozenset({
    "china", "chinese", "japan", "us", "american", "global", "international", "national", "rare",
    "earth", "earths", "the", "new", "united", "general", "first", "north", "south", "east", "west",
    "northern", "southern", "eastern", "western", "asia", "pacific", "australian", "canadian",
})

SPELLING_THRESHOLD = 90.0


def canonical_company(name: str | None) -> str:
    """Lower-case key without punctuation, a trailing "(ABBR)" or legal suffixes: "Lynas Corp." -> "lynas"."""
    if not name:
        return ""
    key = name.lower().replace("&", " and ").replace("’", "'")
    key = re.sub(r"\s*\([^)]*\)\s*$", "", key)  # "VACUUMSCHMELZE GmbH & Co. KG (VAC)"
    key = re.sub(r"'s?\b", "", key)
    key = re.sub(r"[^\w\s]+", " ", key)
    key = " ".join(key.split())
    stripped = _SUFFIX_RE.sub("", key).strip()
    return stripped or key


def canonical_company_expr(expr: pl.Expr) -> pl.Expr:
    """`canonical_company` as a polars expression, for whole columns of names."""
    suffix = r"(?:\s+(?:" + "|".join(LEGAL_SUFFIXES) + r"))+$"
    key = (
        expr.str.to_lowercase()
        .str.replace_all("&", " and ", literal=True)
        .str.replace_all("’", "'", literal=True)
        .str.replace(r"\s*\([^)]*\)\s*$", "")
        .str.replace_all(r"'s?\b", "")
        .str.replace_all(r"[^\w\s]+", " ")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )
    stripped = key.str.replace(suffix, "").str.strip_chars()
    return pl.when(stripped.str.len_chars() > 0).then(stripped).otherwise(key)


def _leading_part(short: str, long: str) -> bool:
    """Whether `short`'s words start `long` and are specific enough to name one company."""
    a, b = short.split(), long.split()
    if not a or len(a) > len(b) or b[: len(a)] != a:
        return False
    return len(a) >= 2 or a[0] not in _GENERIC_LEADS


def resolve_companies(names: list[str]) -> pl.DataFrame:
    """name, canonical key and `cluster` (the shortest key of its variant group) for each name given."""
    schema = {"name": pl.String, "canonical": pl.String, "cluster": pl.String}
    if not names:
        return pl.DataFrame(schema=schema)
    keys = [canonical_company(n) for n in names]
    unique = sorted(set(keys), key=lambda k: (len(k), k))
    parent = list(range(len(unique)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i: int, j: int) -> None:
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)  # the shorter key (sorted first) represents the group

    for i, key in enumerate(unique):
        for _match, _score, j in process.extract(key, unique, scorer=fuzz.ratio, limit=None,
                                                 score_cutoff=SPELLING_THRESHOLD):
            union(i, j)
        for j in range(i + 1, len(unique)):
            if _leading_part(key, unique[j]):
                union(i, j)
    index = {k: i for i, k in enumerate(unique)}
    clusters = [unique[find(index[k])] for k in keys]
    return pl.DataFrame({"name": names, "canonical": keys, "cluster": clusters}, schema=schema)
