-- Every accepted footfall feed file as loaded: one row per accepted source row (quarantined
-- rows are in meta.quarantine), canonical columns as read by transforms/footfall.py.
create schema if not exists raw;

create table if not exists raw.footfall (
    load_id bigint not null,
    source_row bigint not null,
    espace_id varchar not null,
    month date not null,
    partner_code varchar,
    partner_raw varchar,
    requests bigint not null,
    resolved bigint,
    redirected bigint,
    quality_flags varchar[],
    is_synthetic boolean not null,
    extra json
);
