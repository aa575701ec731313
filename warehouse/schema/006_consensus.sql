-- Consensus across sources (CRH truth discovery), recomputed on every run.
CREATE TABLE IF NOT EXISTS consensus_values (
    kind             VARCHAR NOT NULL,
    subject          VARCHAR NOT NULL,
    metric           VARCHAR,
    currency         VARCHAR,
    year             INTEGER,
    consensus_value  DOUBLE NOT NULL,
    min_value        DOUBLE NOT NULL,
    max_value        DOUBLE NOT NULL,
    relative_spread  DOUBLE NOT NULL,
    n_sources        INTEGER NOT NULL,
    is_consensus     BOOLEAN NOT NULL
);
COMMENT ON TABLE consensus_values IS 'One value per market and year (valuation) or region, metric and year (regional_share), weighted toward the sources that agree with the others (CRH, Li et al. 2014).';
COMMENT ON COLUMN consensus_values.kind IS 'valuation or regional_share.';
COMMENT ON COLUMN consensus_values.subject IS 'Market (valuation) or region (regional_share).';
COMMENT ON COLUMN consensus_values.metric IS 'What a share is a share of; null for valuations.';
COMMENT ON COLUMN consensus_values.currency IS 'ISO currency of a valuation; null for shares.';
COMMENT ON COLUMN consensus_values.year IS 'Year the value is for (null where claims give none).';
COMMENT ON COLUMN consensus_values.consensus_value IS 'Weighted median of the sources'' claims, by source reliability.';
COMMENT ON COLUMN consensus_values.min_value IS 'Lowest claim.';
COMMENT ON COLUMN consensus_values.max_value IS 'Highest claim.';
COMMENT ON COLUMN consensus_values.relative_spread IS '(max - min) / consensus: 0 when every source agrees.';
COMMENT ON COLUMN consensus_values.n_sources IS 'Independent sources (publishers) making a claim.';
COMMENT ON COLUMN consensus_values.is_consensus IS 'True when at least three independent sources back the value; otherwise it is only the best estimate.';

CREATE TABLE IF NOT EXISTS source_reliability (
    kind           VARCHAR NOT NULL,
    source         VARCHAR NOT NULL,
    weight         DOUBLE NOT NULL,
    mean_distance  DOUBLE NOT NULL,
    n_claims       INTEGER NOT NULL
);
COMMENT ON TABLE source_reliability IS 'How far each source''s claims sit from the consensus, and the weight CRH gives it.';
COMMENT ON COLUMN source_reliability.kind IS 'valuation or regional_share.';
COMMENT ON COLUMN source_reliability.source IS 'Publisher, or the document id where no publisher is known.';
COMMENT ON COLUMN source_reliability.weight IS 'CRH weight: higher means closer to the consensus.';
COMMENT ON COLUMN source_reliability.mean_distance IS 'Mean distance of its claims from the consensus, in units of each object''s spread.';
COMMENT ON COLUMN source_reliability.n_claims IS 'Objects it made a claim about.';

CREATE OR REPLACE VIEW market_size_consensus AS
SELECT subject AS market, year, currency, consensus_value AS amount, min_value AS min_amount,
       max_value AS max_amount, relative_spread, n_sources, is_consensus
FROM consensus_values WHERE kind = 'valuation';
COMMENT ON VIEW market_size_consensus IS 'Consensus market size per market, year and currency, with its spread and number of independent sources.';

CREATE OR REPLACE VIEW regional_share_consensus AS
SELECT subject AS region, metric, year, consensus_value AS share_pct, min_value AS min_share_pct,
       max_value AS max_share_pct, relative_spread, n_sources, is_consensus
FROM consensus_values WHERE kind = 'regional_share';
COMMENT ON VIEW regional_share_consensus IS 'Consensus share per region, metric and year, with its spread and number of independent sources.';
COMMENT ON COLUMN market_size_consensus.market IS 'Normalized market name.';
COMMENT ON COLUMN market_size_consensus.year IS 'Year the size is for.';
COMMENT ON COLUMN market_size_consensus.currency IS 'ISO currency.';
COMMENT ON COLUMN market_size_consensus.amount IS 'Consensus size in currency units (CRH weighted median).';
COMMENT ON COLUMN market_size_consensus.min_amount IS 'Lowest claim.';
COMMENT ON COLUMN market_size_consensus.max_amount IS 'Highest claim.';
COMMENT ON COLUMN market_size_consensus.relative_spread IS '(max - min) / consensus.';
COMMENT ON COLUMN market_size_consensus.n_sources IS 'Independent sources making a claim.';
COMMENT ON COLUMN market_size_consensus.is_consensus IS 'True with three or more sources; otherwise only the best estimate.';
COMMENT ON COLUMN regional_share_consensus.region IS 'Region, country or holder of the share.';
COMMENT ON COLUMN regional_share_consensus.metric IS 'What it is a share of.';
COMMENT ON COLUMN regional_share_consensus.year IS 'Year (null where claims give none).';
COMMENT ON COLUMN regional_share_consensus.share_pct IS 'Consensus share in percent (CRH weighted median).';
COMMENT ON COLUMN regional_share_consensus.min_share_pct IS 'Lowest claim.';
COMMENT ON COLUMN regional_share_consensus.max_share_pct IS 'Highest claim.';
COMMENT ON COLUMN regional_share_consensus.relative_spread IS '(max - min) / consensus.';
COMMENT ON COLUMN regional_share_consensus.n_sources IS 'Independent sources making a claim.';
COMMENT ON COLUMN regional_share_consensus.is_consensus IS 'True with three or more sources; otherwise only the best estimate.';
