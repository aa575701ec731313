-- Alert delivery ledger: one row per (finding, sink) that marketintel tried to send.
-- No foreign key to findings on purpose: DuckDB applies UPDATE as delete+insert, so a key here
-- would block upsert_findings from refreshing a finding that was already alerted.
CREATE TABLE IF NOT EXISTS alert_deliveries (
    finding_id       VARCHAR NOT NULL,
    sink             VARCHAR NOT NULL,
    status           VARCHAR NOT NULL CHECK (status IN ('sent', 'failed')),
    attempts         INTEGER NOT NULL CHECK (attempts >= 1),
    last_error       VARCHAR,
    last_attempt_at  TIMESTAMPTZ NOT NULL,
    sent_at          TIMESTAMPTZ,
    PRIMARY KEY (finding_id, sink)
);
COMMENT ON TABLE alert_deliveries IS 'Which findings were alerted to which sink: a finding with no sent row for a configured sink is still pending there and is sent (or retried after a backoff) by the next send_alerts run; a sent row is never sent again.';
COMMENT ON COLUMN alert_deliveries.finding_id IS 'The finding alerted (findings.finding_id).';
COMMENT ON COLUMN alert_deliveries.sink IS 'Name of the sink in marketintel.toml ([[alerts.sinks]] name, default its type); renaming a sink makes it a new sink that gets every open finding once.';
COMMENT ON COLUMN alert_deliveries.status IS 'sent (delivered, never sent again) or failed (still pending, retried later).';
COMMENT ON COLUMN alert_deliveries.attempts IS 'Delivery runs that tried this finding on this sink (one run may make several HTTP tries); the next retry waits retry_base_seconds * 2^attempts.';
COMMENT ON COLUMN alert_deliveries.last_error IS 'Why the last attempt failed (secrets such as webhook URLs are never written here); NULL once sent.';
COMMENT ON COLUMN alert_deliveries.last_attempt_at IS 'When the last attempt was made (UTC).';
COMMENT ON COLUMN alert_deliveries.sent_at IS 'When the sink accepted it (UTC); NULL while it has not.';
