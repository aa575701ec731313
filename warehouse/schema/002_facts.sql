-- Facts extracted from passages. Every row keeps its provenance: document, passage, character
-- offsets into the normalized text, the exact quote, and the extractor version.
CREATE TABLE IF NOT EXISTS valuations (
    fact_id            VARCHAR PRIMARY KEY,
    doc_id             VARCHAR NOT NULL,
    passage_id         VARCHAR NOT NULL,
    "start"            BIGINT NOT NULL,
    "end"              BIGINT NOT NULL,
    quote              VARCHAR NOT NULL,
    extractor_version  VARCHAR NOT NULL,
    market             VARCHAR,
    amount             DOUBLE NOT NULL,
    currency           VARCHAR NOT NULL,
    year               INTEGER,
    forecast           BOOLEAN
);
COMMENT ON TABLE valuations IS 'Market sizes stated by documents: "USD 544 million in 2024" is one row.';
COMMENT ON COLUMN valuations.market IS 'Normalized market name ("rare earth refining services").';
COMMENT ON COLUMN valuations.amount IS 'Amount in currency units (544 million = 544000000).';
COMMENT ON COLUMN valuations.currency IS 'ISO 4217 code; "$" is USD unless the text says otherwise.';
COMMENT ON COLUMN valuations.year IS 'Year the size refers to.';
COMMENT ON COLUMN valuations.forecast IS 'True when the year is after the document''s base year.';

CREATE TABLE IF NOT EXISTS growth_rates (
    fact_id            VARCHAR PRIMARY KEY,
    doc_id             VARCHAR NOT NULL,
    passage_id         VARCHAR NOT NULL,
    "start"            BIGINT NOT NULL,
    "end"              BIGINT NOT NULL,
    quote              VARCHAR NOT NULL,
    extractor_version  VARCHAR NOT NULL,
    market             VARCHAR,
    rate_pct           DOUBLE NOT NULL,
    start_year         INTEGER,
    end_year           INTEGER
);
COMMENT ON TABLE growth_rates IS 'Compound annual growth rates stated for a market, with the period where stated.';
COMMENT ON COLUMN growth_rates.market IS 'Normalized market name.';
COMMENT ON COLUMN growth_rates.rate_pct IS 'Rate in percent per year; negative for a declining market.';
COMMENT ON COLUMN growth_rates.start_year IS 'First year of the stated period, if stated.';
COMMENT ON COLUMN growth_rates.end_year IS 'Last year of the stated period, if stated.';

CREATE TABLE IF NOT EXISTS capacities (
    fact_id            VARCHAR PRIMARY KEY,
    doc_id             VARCHAR NOT NULL,
    passage_id         VARCHAR NOT NULL,
    "start"            BIGINT NOT NULL,
    "end"              BIGINT NOT NULL,
    quote              VARCHAR NOT NULL,
    extractor_version  VARCHAR NOT NULL,
    company            VARCHAR,
    facility           VARCHAR,
    region             VARCHAR,
    value              DOUBLE NOT NULL,
    unit               VARCHAR,
    year               INTEGER,
    measure            VARCHAR
);
COMMENT ON TABLE capacities IS 'Capacities and production figures (plant capacity, company output, national mine production).';
COMMENT ON COLUMN capacities.company IS 'Company the figure is attributed to, if any.';
COMMENT ON COLUMN capacities.facility IS 'Facility or site named, if any.';
COMMENT ON COLUMN capacities.region IS 'Country or region the figure is for, if any.';
COMMENT ON COLUMN capacities.value IS 'The number, in the stated unit.';
COMMENT ON COLUMN capacities.unit IS 'Unit as normalized from the text (tonnes per year, tonnes, ...).';
COMMENT ON COLUMN capacities.year IS 'Year the figure refers to, if stated.';
COMMENT ON COLUMN capacities.measure IS 'capacity, planned_capacity, planned_capacity_addition or production.';

CREATE TABLE IF NOT EXISTS companies (
    fact_id            VARCHAR PRIMARY KEY,
    doc_id             VARCHAR NOT NULL,
    passage_id         VARCHAR NOT NULL,
    "start"            BIGINT NOT NULL,
    "end"              BIGINT NOT NULL,
    quote              VARCHAR NOT NULL,
    extractor_version  VARCHAR NOT NULL,
    name               VARCHAR NOT NULL,
    country            VARCHAR
);
COMMENT ON TABLE companies IS 'Companies named in explicit player lists, one row per mention.';
COMMENT ON COLUMN companies.name IS 'Company name as written.';
COMMENT ON COLUMN companies.country IS 'Country where the document states it.';

CREATE TABLE IF NOT EXISTS regional_shares (
    fact_id            VARCHAR PRIMARY KEY,
    doc_id             VARCHAR NOT NULL,
    passage_id         VARCHAR NOT NULL,
    "start"            BIGINT NOT NULL,
    "end"              BIGINT NOT NULL,
    quote              VARCHAR NOT NULL,
    extractor_version  VARCHAR NOT NULL,
    region             VARCHAR,
    share_pct          DOUBLE NOT NULL,
    qualifier          VARCHAR,
    metric             VARCHAR,
    year               INTEGER
);
COMMENT ON TABLE regional_shares IS 'Share claims: a region, country or company holding a percentage of some metric.';
COMMENT ON COLUMN regional_shares.region IS 'Region, country or holder of the share.';
COMMENT ON COLUMN regional_shares.share_pct IS 'Percentage stated.';
COMMENT ON COLUMN regional_shares.qualifier IS 'over, under, approximately, nearly, at_least, up_to, or null for an exact figure.';
COMMENT ON COLUMN regional_shares.metric IS 'What it is a share of (production, refined output, capacity, imports, ...).';
COMMENT ON COLUMN regional_shares.year IS 'Year of the claim, if stated.';
