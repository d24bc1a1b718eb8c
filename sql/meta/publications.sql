-- What each publish target holds: one row per remote object (s3: a key under the prefix, such
-- as releases/2026-12-01/espaces/espaces_current.csv or latest/…; data.gouv.fr: one resource
-- per release file). Written after each file succeeds, so an interrupted publish resumes.
create schema if not exists meta;

create table if not exists meta.publications (
    target varchar not null,            -- s3 / datagouv
    remote_key varchar not null,        -- s3: key relative to the prefix; datagouv: file path
    file_path varchar not null,         -- the release file (relative to exports/)
    sha256 varchar not null,            -- of the bytes there; latest/manifest.json: the release's
    size_bytes bigint,
    remote_id varchar,                  -- datagouv: resource id; s3: the full object key
    metadata_sha256 varchar,            -- datagouv: title, description, format and type sent
    published_at timestamptz not null default current_timestamp,
    primary key (target, remote_key)
);
