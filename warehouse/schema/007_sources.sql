-- Network sources: SEC EDGAR filings and XBRL company facts, web pages and feeds.
-- Each run appends what is new; a filing or page is recorded in the same transaction as its
-- document, so an interrupted run leaves nothing half-written.

CREATE TABLE IF NOT EXISTS edgar_filings (
    accession_number  VARCHAR PRIMARY KEY,
    cik               BIGINT NOT NULL,
    ticker            VARCHAR,
    company           VARCHAR,
    form              VARCHAR NOT NULL,
    filing_date       DATE,
    report_period     DATE,
    primary_document  VARCHAR,
    url               VARCHAR NOT NULL,
    doc_id            VARCHAR,
    status            VARCHAR NOT NULL CHECK (status IN ('fetched', 'failed')),
    error             VARCHAR,
    fetched_at        TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE edgar_filings IS 'SEC EDGAR filings of the watchlist companies that marketintel tried to fetch, one row per accession number. Fetched filings are never downloaded again; failed ones are retried on the next run.';
COMMENT ON COLUMN edgar_filings.accession_number IS 'EDGAR accession number as SEC writes it (0001234567-25-000012); the key of a filing.';
COMMENT ON COLUMN edgar_filings.cik IS 'Central Index Key of the filing company.';
COMMENT ON COLUMN edgar_filings.ticker IS 'Ticker the company was put on the watchlist under, or its first ticker in the submissions feed.';
COMMENT ON COLUMN edgar_filings.company IS 'Company name as the submissions feed gives it.';
COMMENT ON COLUMN edgar_filings.form IS 'Form type: 10-K, 10-Q, 8-K, 20-F, 40-F, 6-K (amendments end in /A).';
COMMENT ON COLUMN edgar_filings.filing_date IS 'Date the filing was accepted by EDGAR.';
COMMENT ON COLUMN edgar_filings.report_period IS 'Period the filing reports on (fiscal year or quarter end; the event date for an 8-K), where given.';
COMMENT ON COLUMN edgar_filings.primary_document IS 'File name of the filing''s primary document inside its EDGAR folder.';
COMMENT ON COLUMN edgar_filings.url IS 'URL the primary document was (or was to be) fetched from; documents.path for fetched filings.';
COMMENT ON COLUMN edgar_filings.doc_id IS 'The ingested primary document (documents.doc_id, SHA-256 of its bytes); NULL when the fetch failed.';
COMMENT ON COLUMN edgar_filings.status IS 'fetched (document ingested), or failed (see error; retried next run).';
COMMENT ON COLUMN edgar_filings.error IS 'Why the fetch failed: the URL and the reason (HTTP status, error page, truncated download, content-type mismatch).';
COMMENT ON COLUMN edgar_filings.fetched_at IS 'When this row was last written (UTC).';

CREATE TABLE IF NOT EXISTS edgar_feeds (
    url          VARCHAR PRIMARY KEY,
    kind         VARCHAR NOT NULL CHECK (kind IN ('tickers', 'submissions', 'companyfacts', 'filing_index')),
    cik          BIGINT,
    status       VARCHAR NOT NULL CHECK (status IN ('ok', 'failed')),
    error        VARCHAR,
    records      BIGINT,
    fetched_at   TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE edgar_feeds IS 'The last read of each EDGAR index marketintel uses (ticker file, submissions feeds, company facts): whether it worked, and if not why, so a company that stops updating is explained.';
COMMENT ON COLUMN edgar_feeds.url IS 'URL of the feed.';
COMMENT ON COLUMN edgar_feeds.kind IS 'tickers (company_tickers.json), submissions (a company''s filing list), companyfacts (its XBRL facts) or filing_index (a filing folder listing).';
COMMENT ON COLUMN edgar_feeds.cik IS 'Company the feed is about; NULL for the ticker file.';
COMMENT ON COLUMN edgar_feeds.status IS 'ok, or failed (see error).';
COMMENT ON COLUMN edgar_feeds.error IS 'Why the last read failed: the URL and the reason.';
COMMENT ON COLUMN edgar_feeds.records IS 'Entries read: tickers, filings of the chosen forms, or facts.';
COMMENT ON COLUMN edgar_feeds.fetched_at IS 'When the feed was last read (UTC).';

CREATE TABLE IF NOT EXISTS xbrl_facts (
    cik               BIGINT NOT NULL,
    ticker            VARCHAR,
    company           VARCHAR,
    taxonomy          VARCHAR NOT NULL,
    concept           VARCHAR NOT NULL,
    label             VARCHAR,
    unit              VARCHAR NOT NULL,
    value             DOUBLE,
    period_start      DATE,
    period_end        DATE,
    fiscal_year       INTEGER,
    fiscal_period     VARCHAR,
    form              VARCHAR,
    filed             DATE,
    accession_number  VARCHAR,
    frame             VARCHAR,
    topic             VARCHAR
);
COMMENT ON TABLE xbrl_facts IS 'Figures the watchlist companies reported in XBRL (SEC company facts), one row per reported value: the same figure repeated in later filings appears once per filing. Replaced per company on every read.';
COMMENT ON COLUMN xbrl_facts.cik IS 'Central Index Key of the reporting company.';
COMMENT ON COLUMN xbrl_facts.ticker IS 'Ticker of the company on the watchlist.';
COMMENT ON COLUMN xbrl_facts.company IS 'Entity name in the company facts.';
COMMENT ON COLUMN xbrl_facts.taxonomy IS 'XBRL taxonomy: us-gaap, ifrs-full, dei or srt.';
COMMENT ON COLUMN xbrl_facts.concept IS 'XBRL concept name, e.g. Revenues or RevenueFromContractWithCustomerExcludingAssessedTax.';
COMMENT ON COLUMN xbrl_facts.label IS 'Human label of the concept.';
COMMENT ON COLUMN xbrl_facts.unit IS 'Unit of the value: USD, shares, USD/shares, pure, or a unit of measure.';
COMMENT ON COLUMN xbrl_facts.value IS 'The reported value in its unit (USD amounts in dollars, not thousands).';
COMMENT ON COLUMN xbrl_facts.period_start IS 'Start of the period for flows (revenue over a year or quarter); NULL for point-in-time values.';
COMMENT ON COLUMN xbrl_facts.period_end IS 'End of the period, or the date of a point-in-time value.';
COMMENT ON COLUMN xbrl_facts.fiscal_year IS 'Fiscal year of the filing that reported the value (fy).';
COMMENT ON COLUMN xbrl_facts.fiscal_period IS 'Fiscal period of that filing: FY, Q1, Q2, Q3 (fp).';
COMMENT ON COLUMN xbrl_facts.form IS 'Form of the filing that reported the value.';
COMMENT ON COLUMN xbrl_facts.filed IS 'Date that filing was filed.';
COMMENT ON COLUMN xbrl_facts.accession_number IS 'Accession number of that filing (edgar_filings.accession_number when it was fetched).';
COMMENT ON COLUMN xbrl_facts.frame IS 'SEC calendar frame the value was assigned to (CY2024, CY2024Q4I), where SEC assigned one: one value per company, concept and frame.';
COMMENT ON COLUMN xbrl_facts.topic IS 'revenue or production where the concept is one of those, else NULL.';

CREATE TABLE IF NOT EXISTS web_fetches (
    url         VARCHAR PRIMARY KEY,
    kind        VARCHAR NOT NULL CHECK (kind IN ('page', 'feed', 'item')),
    feed        VARCHAR,
    doc_id      VARCHAR,
    status      VARCHAR NOT NULL CHECK (status IN ('fetched', 'failed')),
    error       VARCHAR,
    fetched_at  TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE web_fetches IS 'Configured web pages, RSS/Atom feeds and the feed items marketintel fetched, with the last outcome. Feed items are fetched once; configured pages are looked at on every run.';
COMMENT ON COLUMN web_fetches.url IS 'URL of the page, feed or feed item.';
COMMENT ON COLUMN web_fetches.kind IS 'page (configured page), feed (configured feed) or item (a link found in a feed).';
COMMENT ON COLUMN web_fetches.feed IS 'For an item, the feed it was found in; NULL otherwise.';
COMMENT ON COLUMN web_fetches.doc_id IS 'The ingested document (documents.doc_id) for pages and items; NULL for feeds and failures.';
COMMENT ON COLUMN web_fetches.status IS 'fetched, or failed (see error; retried next run).';
COMMENT ON COLUMN web_fetches.error IS 'Why the fetch failed: the URL and the reason.';
COMMENT ON COLUMN web_fetches.fetched_at IS 'When this row was last written (UTC).';

CREATE TABLE IF NOT EXISTS filing_sections (
    doc_id   VARCHAR NOT NULL,
    section  VARCHAR NOT NULL,
    title    VARCHAR,
    "start"  BIGINT NOT NULL,
    "end"    BIGINT NOT NULL,
    PRIMARY KEY (doc_id, section)
);
COMMENT ON TABLE filing_sections IS 'Where each Item of an EDGAR filing (Item 1. Business, Item 1A. Risk Factors, Item 7. MD&A, ...) starts and ends in the filing''s normalized text; table-of-contents entries are skipped.';
COMMENT ON COLUMN filing_sections.doc_id IS 'The filing''s primary document (documents.doc_id).';
COMMENT ON COLUMN filing_sections.section IS 'Item as SEC numbers it: Item 1A (10-K, 20-F), Item 2.02 (8-K), Part I Item 2 (10-Q, where item numbers restart in each part).';
COMMENT ON COLUMN filing_sections.title IS 'The heading as the filing writes it (Risk Factors).';
COMMENT ON COLUMN filing_sections."start" IS 'Offset of the heading''s first character in document_texts.text.';
COMMENT ON COLUMN filing_sections."end" IS 'Offset one past the section''s last character (the next section''s heading or the signatures).';
