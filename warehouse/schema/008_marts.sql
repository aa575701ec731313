-- Analyst views: each answers a question without joins. Views over the fact tables, so they are
-- always in step with the last load (and copied into every published snapshot).

CREATE OR REPLACE VIEW market_sizes AS
SELECT v.market, v.year, v.currency, v.amount, round(v.amount / 1e6, 3) AS amount_millions, v.forecast,
       coalesce(d.publisher, d.title) AS source, d.title AS document_title, d.published, d.path,
       c.amount AS consensus_amount, c.relative_spread AS consensus_spread, c.n_sources AS consensus_sources,
       c.is_consensus, v.quote, v.doc_id, v.fact_id
FROM valuations v
JOIN documents d USING (doc_id)
LEFT JOIN market_size_consensus c ON c.market = v.market AND c.year = v.year AND c.currency = v.currency;
COMMENT ON VIEW market_sizes IS 'Every market size stated by any document, beside the consensus for that market and year; one row per claim.';
COMMENT ON COLUMN market_sizes.market IS 'Normalized market name.';
COMMENT ON COLUMN market_sizes.year IS 'Year the size is for.';
COMMENT ON COLUMN market_sizes.currency IS 'ISO currency.';
COMMENT ON COLUMN market_sizes.amount IS 'Size in currency units.';
COMMENT ON COLUMN market_sizes.amount_millions IS 'Size in millions of the currency.';
COMMENT ON COLUMN market_sizes.forecast IS 'True when the year is after the document''s base year.';
COMMENT ON COLUMN market_sizes.source IS 'Publisher, or the document title where no publisher is known.';
COMMENT ON COLUMN market_sizes.document_title IS 'Title of the document.';
COMMENT ON COLUMN market_sizes.published IS 'Publication date of the document.';
COMMENT ON COLUMN market_sizes.path IS 'File path or URL of the document.';
COMMENT ON COLUMN market_sizes.consensus_amount IS 'Consensus size for this market, year and currency across sources.';
COMMENT ON COLUMN market_sizes.consensus_spread IS '(max - min) / consensus across sources.';
COMMENT ON COLUMN market_sizes.consensus_sources IS 'Independent sources behind the consensus.';
COMMENT ON COLUMN market_sizes.is_consensus IS 'True when three or more sources back the consensus.';
COMMENT ON COLUMN market_sizes.quote IS 'Exact words the figure was read from.';
COMMENT ON COLUMN market_sizes.doc_id IS 'The document (documents.doc_id).';
COMMENT ON COLUMN market_sizes.fact_id IS 'The fact (valuations.fact_id); see fact_lineage.';

CREATE OR REPLACE VIEW growth_rate_claims AS
SELECT g.market, g.rate_pct, g.start_year, g.end_year, coalesce(d.publisher, d.title) AS source,
       d.title AS document_title, d.published, d.path, g.quote, g.doc_id, g.fact_id
FROM growth_rates g JOIN documents d USING (doc_id);
COMMENT ON VIEW growth_rate_claims IS 'Every stated growth rate (CAGR) with its period and source.';
COMMENT ON COLUMN growth_rate_claims.market IS 'Normalized market name.';
COMMENT ON COLUMN growth_rate_claims.rate_pct IS 'Rate in percent per year.';
COMMENT ON COLUMN growth_rate_claims.start_year IS 'First year of the period, if stated.';
COMMENT ON COLUMN growth_rate_claims.end_year IS 'Last year of the period, if stated.';
COMMENT ON COLUMN growth_rate_claims.source IS 'Publisher, or the document title.';
COMMENT ON COLUMN growth_rate_claims.document_title IS 'Title of the document.';
COMMENT ON COLUMN growth_rate_claims.published IS 'Publication date of the document.';
COMMENT ON COLUMN growth_rate_claims.path IS 'File path or URL of the document.';
COMMENT ON COLUMN growth_rate_claims.quote IS 'Exact words the rate was read from.';
COMMENT ON COLUMN growth_rate_claims.doc_id IS 'The document.';
COMMENT ON COLUMN growth_rate_claims.fact_id IS 'The fact (growth_rates.fact_id).';

CREATE OR REPLACE VIEW capacity_and_production AS
SELECT c.measure, c.company, c.facility, c.region, c.value, c.unit, c.year,
       coalesce(d.publisher, d.title) AS source, d.title AS document_title, d.published, d.path,
       c.quote, c.doc_id, c.fact_id
FROM capacities c JOIN documents d USING (doc_id);
COMMENT ON VIEW capacity_and_production IS 'Capacities and production by company, facility and country, with their source.';
COMMENT ON COLUMN capacity_and_production.measure IS 'capacity, planned_capacity, planned_capacity_addition or production.';
COMMENT ON COLUMN capacity_and_production.company IS 'Company, if named.';
COMMENT ON COLUMN capacity_and_production.facility IS 'Facility or site, if named.';
COMMENT ON COLUMN capacity_and_production.region IS 'Country or region, if named.';
COMMENT ON COLUMN capacity_and_production.value IS 'The figure, in unit.';
COMMENT ON COLUMN capacity_and_production.unit IS 'Unit of the figure.';
COMMENT ON COLUMN capacity_and_production.year IS 'Year, if stated.';
COMMENT ON COLUMN capacity_and_production.source IS 'Publisher, or the document title.';
COMMENT ON COLUMN capacity_and_production.document_title IS 'Title of the document.';
COMMENT ON COLUMN capacity_and_production.published IS 'Publication date of the document.';
COMMENT ON COLUMN capacity_and_production.path IS 'File path or URL of the document.';
COMMENT ON COLUMN capacity_and_production.quote IS 'Exact words the figure was read from.';
COMMENT ON COLUMN capacity_and_production.doc_id IS 'The document.';
COMMENT ON COLUMN capacity_and_production.fact_id IS 'The fact (capacities.fact_id).';

CREATE OR REPLACE VIEW share_claims AS
SELECT s.region, s.share_pct, s.qualifier, s.metric, s.year, coalesce(d.publisher, d.title) AS source,
       d.title AS document_title, d.published, d.path, s.quote, s.doc_id, s.fact_id
FROM regional_shares s JOIN documents d USING (doc_id);
COMMENT ON VIEW share_claims IS 'Regional share claims with their qualifiers (over, approximately, ...), metric and source.';
COMMENT ON COLUMN share_claims.region IS 'Region, country or holder of the share.';
COMMENT ON COLUMN share_claims.share_pct IS 'Percentage stated.';
COMMENT ON COLUMN share_claims.qualifier IS 'over, under, approximately, nearly, at_least, up_to, or null for an exact figure.';
COMMENT ON COLUMN share_claims.metric IS 'What it is a share of.';
COMMENT ON COLUMN share_claims.year IS 'Year, if stated.';
COMMENT ON COLUMN share_claims.source IS 'Publisher, or the document title.';
COMMENT ON COLUMN share_claims.document_title IS 'Title of the document.';
COMMENT ON COLUMN share_claims.published IS 'Publication date of the document.';
COMMENT ON COLUMN share_claims.path IS 'File path or URL of the document.';
COMMENT ON COLUMN share_claims.quote IS 'Exact words the claim was read from.';
COMMENT ON COLUMN share_claims.doc_id IS 'The document.';
COMMENT ON COLUMN share_claims.fact_id IS 'The fact (regional_shares.fact_id).';

CREATE OR REPLACE VIEW open_findings AS
SELECT f.rule, f.severity, f.subject, f.message, f.first_seen, f.last_seen,
       (SELECT list(coalesce(d.title, d.path) ORDER BY d.path) FROM documents d WHERE list_contains(f.doc_ids, d.doc_id))
           AS document_titles,
       f.quotes, f.evidence, f.doc_ids, f.finding_id
FROM findings f WHERE f.status = 'open';
COMMENT ON VIEW open_findings IS 'Data-quality findings still open, with the documents and quotes that are their evidence.';
COMMENT ON COLUMN open_findings.rule IS 'Rule that raised it.';
COMMENT ON COLUMN open_findings.severity IS 'warn or error.';
COMMENT ON COLUMN open_findings.subject IS 'Market, region or company concerned.';
COMMENT ON COLUMN open_findings.message IS 'What is wrong.';
COMMENT ON COLUMN open_findings.first_seen IS 'When it first appeared.';
COMMENT ON COLUMN open_findings.last_seen IS 'When it was last raised.';
COMMENT ON COLUMN open_findings.document_titles IS 'Titles of the documents holding the evidence.';
COMMENT ON COLUMN open_findings.quotes IS 'Quotes of the evidence.';
COMMENT ON COLUMN open_findings.evidence IS 'Evidence facts and computed values (JSON).';
COMMENT ON COLUMN open_findings.doc_ids IS 'Documents holding the evidence.';
COMMENT ON COLUMN open_findings.finding_id IS 'Stable fingerprint of the finding.';

CREATE OR REPLACE VIEW fact_lineage AS
WITH facts AS (
    SELECT 'valuation' AS kind, fact_id, doc_id, passage_id, "start", "end", quote, extractor_version FROM valuations
    UNION ALL SELECT 'growth_rate', fact_id, doc_id, passage_id, "start", "end", quote, extractor_version FROM growth_rates
    UNION ALL SELECT 'capacity', fact_id, doc_id, passage_id, "start", "end", quote, extractor_version FROM capacities
    UNION ALL SELECT 'company', fact_id, doc_id, passage_id, "start", "end", quote, extractor_version FROM companies
    UNION ALL SELECT 'regional_share', fact_id, doc_id, passage_id, "start", "end", quote, extractor_version
              FROM regional_shares
)
SELECT f.kind, f.fact_id, f.quote, p.text AS passage, f."start", f."end", d.title AS document_title, d.path,
       d.source, d.published, d.ingested_at, f.extractor_version, f.doc_id, f.passage_id
FROM facts f JOIN documents d USING (doc_id) LEFT JOIN passages p USING (passage_id);
COMMENT ON VIEW fact_lineage IS 'From any fact to its document, passage and quote: where a figure came from.';
COMMENT ON COLUMN fact_lineage.kind IS 'Fact kind (valuation, growth_rate, capacity, company, regional_share).';
COMMENT ON COLUMN fact_lineage.fact_id IS 'The fact id in its kind''s table.';
COMMENT ON COLUMN fact_lineage.quote IS 'Exact words of the fact.';
COMMENT ON COLUMN fact_lineage.passage IS 'The sentence, list item or table row around it.';
COMMENT ON COLUMN fact_lineage."start" IS 'Offset of the quote in the document''s normalized text.';
COMMENT ON COLUMN fact_lineage."end" IS 'Offset one past the end of the quote.';
COMMENT ON COLUMN fact_lineage.document_title IS 'Title of the document.';
COMMENT ON COLUMN fact_lineage.path IS 'File path or URL of the document.';
COMMENT ON COLUMN fact_lineage.source IS 'Where the document came from: file, web or edgar.';
COMMENT ON COLUMN fact_lineage.published IS 'Publication date.';
COMMENT ON COLUMN fact_lineage.ingested_at IS 'When the document was ingested.';
COMMENT ON COLUMN fact_lineage.extractor_version IS 'Version of the extraction rules.';
COMMENT ON COLUMN fact_lineage.doc_id IS 'The document.';
COMMENT ON COLUMN fact_lineage.passage_id IS 'The passage.';

CREATE OR REPLACE VIEW markets AS
WITH claims AS (
    SELECT market, doc_id, 'valuation' AS kind FROM valuations WHERE market IS NOT NULL AND market <> ''
    UNION ALL SELECT market, doc_id, 'growth_rate' FROM growth_rates WHERE market IS NOT NULL AND market <> ''
)
SELECT market, count(*) FILTER (WHERE kind = 'valuation') AS size_claims,
       count(*) FILTER (WHERE kind = 'growth_rate') AS growth_claims, count(DISTINCT doc_id) AS documents
FROM claims GROUP BY market;
COMMENT ON VIEW markets IS 'The market dimension: every normalized market name ("global lithium market" and "lithium market" are both "lithium"), with how much the documents say about it.';
COMMENT ON COLUMN markets.market IS 'Normalized market name, as in market_sizes and growth_rate_claims.';
COMMENT ON COLUMN markets.size_claims IS 'Market size claims for it.';
COMMENT ON COLUMN markets.growth_claims IS 'Growth rate claims for it.';
COMMENT ON COLUMN markets.documents IS 'Documents making claims about it.';
