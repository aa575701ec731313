-- The region dimension: the hierarchy the share rules use (a country inside its region).
CREATE TABLE IF NOT EXISTS regions (
    region  VARCHAR PRIMARY KEY,
    parent  VARCHAR,
    level   VARCHAR NOT NULL
);
COMMENT ON TABLE regions IS 'Countries, sub-regions, continents, trade blocs and World, each with its parent: Asia-Pacific contains China.';
COMMENT ON COLUMN regions.region IS 'Canonical region name, as used in regional_shares and capacities.';
COMMENT ON COLUMN regions.parent IS 'The region directly containing it (null for World).';
COMMENT ON COLUMN regions.level IS 'world, region, sub_region, trade_bloc or country.';

CREATE TABLE IF NOT EXISTS region_aliases (
    alias   VARCHAR PRIMARY KEY,
    region  VARCHAR NOT NULL
);
COMMENT ON TABLE region_aliases IS 'Spellings documents use for a region (APAC, Asia Pacific, U.S.) and the canonical name they mean.';
COMMENT ON COLUMN region_aliases.alias IS 'A spelling found in documents.';
COMMENT ON COLUMN region_aliases.region IS 'The canonical region (regions.region).';

CREATE OR REPLACE VIEW region_ancestry AS
WITH RECURSIVE up(region, ancestor, depth) AS (
    SELECT region, parent, 1 FROM regions WHERE parent IS NOT NULL
    UNION ALL
    SELECT up.region, r.parent, up.depth + 1 FROM up JOIN regions r ON r.region = up.ancestor
    WHERE r.parent IS NOT NULL
)
SELECT * FROM up;
COMMENT ON VIEW region_ancestry IS 'Every region with every region containing it, for rolling countries up: depth 1 is the parent.';
COMMENT ON COLUMN region_ancestry.region IS 'The contained region.';
COMMENT ON COLUMN region_ancestry.ancestor IS 'A region containing it.';
COMMENT ON COLUMN region_ancestry.depth IS 'Steps up the hierarchy (1 = parent).';
