-- The company directory: one row per company after resolving spelling variants and legal suffixes.
CREATE TABLE IF NOT EXISTS company_directory (
    company_key    VARCHAR PRIMARY KEY,
    display_name   VARCHAR NOT NULL,
    aliases        VARCHAR[] NOT NULL,
    countries      VARCHAR[] NOT NULL,
    mentions       INTEGER NOT NULL,
    documents      INTEGER NOT NULL,
    capacity_facts INTEGER NOT NULL
);
COMMENT ON TABLE company_directory IS 'Every company the documents name, once: "Lynas Corporation", "Lynas Rare Earths Ltd." and "Lynas" are one row.';
COMMENT ON COLUMN company_directory.company_key IS 'Canonical key: lower case, no punctuation or legal suffixes, spelling variants merged.';
COMMENT ON COLUMN company_directory.display_name IS 'The name as most often written.';
COMMENT ON COLUMN company_directory.aliases IS 'Every spelling found in the documents.';
COMMENT ON COLUMN company_directory.countries IS 'Countries the documents give for it (more than one is a company_country_conflict finding).';
COMMENT ON COLUMN company_directory.mentions IS 'Times it is named in player lists.';
COMMENT ON COLUMN company_directory.documents IS 'Documents naming it.';
COMMENT ON COLUMN company_directory.capacity_facts IS 'Capacity and production figures attributed to it.';
