-- The decoded cells of every accepted observatory edition: one row per démarche (source_row)
-- and indicator, as decoded by transforms/observatoire/decoding.py (decode_indicators).
create schema if not exists raw;

create table if not exists raw.observatoire_indicators (
    load_id bigint not null,
    edition_id varchar not null,
    source_row integer not null,
    indicator varchar not null,
    value_num double,
    value_text varchar,
    level varchar,
    raw varchar,
    null_reason varchar,
    decode_issue varchar,
    note varchar
);
