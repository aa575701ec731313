-- Documents as ingested: one row per distinct content (SHA-256 of the raw bytes).
CREATE TABLE IF NOT EXISTS documents (
    doc_id       VARCHAR PRIMARY KEY,
    source       VARCHAR NOT NULL,
    path         VARCHAR NOT NULL,
    title        VARCHAR,
    publisher    VARCHAR,
    published    DATE,
    format       VARCHAR,
    size_bytes   BIGINT,
    ingested_at  TIMESTAMPTZ NOT NULL,
    status       VARCHAR NOT NULL CHECK (status IN ('loaded', 'rejected')),
    error        VARCHAR
);
COMMENT ON TABLE documents IS 'Every document marketintel has seen, keyed by the SHA-256 of its bytes; a document is ingested once however often it is dropped in. Rejected documents stay here with the reason.';
COMMENT ON COLUMN documents.doc_id IS 'SHA-256 of the raw bytes (hex); for a file that could not be read at all, of its path.';
COMMENT ON COLUMN documents.source IS 'Where it came from: file, web or edgar.';
COMMENT ON COLUMN documents.path IS 'File path or URL it was first ingested from.';
COMMENT ON COLUMN documents.title IS 'Title from the HTML title, front matter, PDF metadata or first line.';
COMMENT ON COLUMN documents.publisher IS 'Publisher where the document names one (front matter, HTML meta); sources are counted by publisher.';
COMMENT ON COLUMN documents.published IS 'Publication date where the document states one.';
COMMENT ON COLUMN documents.format IS 'html, markdown, text or pdf.';
COMMENT ON COLUMN documents.size_bytes IS 'Size of the raw bytes.';
COMMENT ON COLUMN documents.ingested_at IS 'When it was first ingested (UTC).';
COMMENT ON COLUMN documents.status IS 'loaded, or rejected when it could not be parsed.';
COMMENT ON COLUMN documents.error IS 'Why it was rejected: names the file and the cause.';

CREATE TABLE IF NOT EXISTS document_texts (
    doc_id  VARCHAR PRIMARY KEY,
    text    VARCHAR NOT NULL
);
COMMENT ON TABLE document_texts IS 'Normalized text of each loaded document; every fact offset points into this text.';
COMMENT ON COLUMN document_texts.doc_id IS 'The document (documents.doc_id).';
COMMENT ON COLUMN document_texts.text IS 'Normalized text: HTML and Markdown reduced to lines, PDF text per page, Unix newlines.';

CREATE TABLE IF NOT EXISTS passages (
    passage_id  VARCHAR PRIMARY KEY,
    doc_id      VARCHAR NOT NULL,
    seq         INTEGER NOT NULL,
    "start"     BIGINT NOT NULL,
    "end"       BIGINT NOT NULL,
    text        VARCHAR NOT NULL
);
COMMENT ON TABLE passages IS 'Sentences, list items and table rows of each document, with their character offsets.';
COMMENT ON COLUMN passages.passage_id IS 'Document id prefix and sequence number.';
COMMENT ON COLUMN passages.doc_id IS 'The document (documents.doc_id).';
COMMENT ON COLUMN passages.seq IS 'Order of the passage in its document, from 0.';
COMMENT ON COLUMN passages."start" IS 'Offset of the first character in the normalized text.';
COMMENT ON COLUMN passages."end" IS 'Offset one past the last character.';
COMMENT ON COLUMN passages.text IS 'The passage text, equal to the normalized text between start and end.';
