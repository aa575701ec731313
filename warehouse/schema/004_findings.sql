-- Data-quality findings: one row per distinct problem, kept across runs.
CREATE TABLE IF NOT EXISTS findings (
    finding_id  VARCHAR PRIMARY KEY,
    rule        VARCHAR NOT NULL,
    severity    VARCHAR NOT NULL CHECK (severity IN ('warn', 'error')),
    subject     VARCHAR,
    message     VARCHAR NOT NULL,
    doc_ids     VARCHAR[] NOT NULL,
    quotes      VARCHAR[] NOT NULL,
    evidence    JSON,
    first_seen  TIMESTAMPTZ NOT NULL,
    last_seen   TIMESTAMPTZ NOT NULL,
    status      VARCHAR NOT NULL CHECK (status IN ('open', 'resolved'))
);
COMMENT ON TABLE findings IS 'Figures that disagree, found by the data-quality rules; a finding stays open while its evidence exists and is marked resolved when it is gone.';
COMMENT ON COLUMN findings.finding_id IS 'Stable fingerprint of rule, subject and evidence facts.';
COMMENT ON COLUMN findings.rule IS 'Rule that raised it (cagr_mismatch, share_conflict, ...).';
COMMENT ON COLUMN findings.severity IS 'warn (worth a look) or error (figures that cannot all be true).';
COMMENT ON COLUMN findings.subject IS 'Market, region or company the finding is about.';
COMMENT ON COLUMN findings.message IS 'What is wrong, in an analyst''s words.';
COMMENT ON COLUMN findings.doc_ids IS 'Documents holding the evidence.';
COMMENT ON COLUMN findings.quotes IS 'Quotes of the evidence facts.';
COMMENT ON COLUMN findings.evidence IS 'Evidence facts and computed values (JSON).';
COMMENT ON COLUMN findings.first_seen IS 'Run time the finding first appeared.';
COMMENT ON COLUMN findings.last_seen IS 'Run time it was last raised.';
COMMENT ON COLUMN findings.status IS 'open, or resolved when the evidence is gone.';
