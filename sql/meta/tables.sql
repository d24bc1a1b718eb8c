-- The warehouse's own bookkeeping: every load attempt, validation results, quarantined rows,
-- which load each snapshot date currently comes from, and HTTP validators for conditional GETs.
create schema if not exists meta;

create sequence if not exists meta.load_id_seq start 1;

create table if not exists meta.loads (
    load_id bigint primary key default nextval('meta.load_id_seq'),
    source varchar not null,
    as_of date,
    file_name varchar,
    raw_path varchar,
    sha256 varchar,
    size_bytes bigint,
    rows_read bigint,
    rows_loaded bigint,
    rows_quarantined bigint,
    rows_warned bigint,
    status varchar not null,  -- running / published / unchanged / rejected / failed / crashed / interrupted
    message varchar,
    options json,
    url varchar,
    flow_run_id varchar,
    started_at timestamptz not null default current_timestamp,
    finished_at timestamptz
);

create table if not exists meta.snapshots (
    source varchar not null,
    as_of date not null,
    load_id bigint not null,
    primary key (source, as_of)
);

create table if not exists meta.validation_results (
    load_id bigint not null,
    suite varchar not null,
    rule varchar not null,
    rule_class varchar not null,
    expectation varchar,
    column_name varchar,
    success boolean not null,
    unexpected_count bigint,
    observed_value varchar,
    message varchar
);

create table if not exists meta.quarantine (
    load_id bigint not null,
    source varchar not null,
    source_row bigint,
    rule varchar not null,
    record json
);

create table if not exists meta.http_state (
    source varchar primary key,
    url varchar,
    etag varchar,
    last_modified varchar,
    sha256 varchar,
    checked_at timestamptz
);

-- The process that writes a load (pid on host): `fsdata status` shows a load still 'running'
-- whose process is gone as crashed. Added by `alter` so that existing warehouses gain them.
alter table meta.loads add column if not exists pid bigint;
alter table meta.loads add column if not exists host varchar;
