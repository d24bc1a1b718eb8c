-- The release as the warehouse says it is published: every file written under exports/ with the
-- sha256 and size of the bytes written (SHA256SUMS and datapackage.json are written from these,
-- and each run rewrites a file on disk that differs), and the changelog's entries.
create schema if not exists meta;

create table if not exists meta.release_files (
    path varchar primary key,  -- relative to exports/, POSIX separators
    sha256 varchar not null,
    bytes bigint not null,
    rows bigint,  -- data files: rows of the exported table (or year of it)
    generation bigint,  -- data files: the last published load of the sources feeding it
    written_at timestamptz not null default current_timestamp,
    fingerprint varchar,  -- data files: rows and hash of the content exported (release_parts)
    mtime_ns bigint  -- the file's modification time when recorded: unchanged, it is not re-read
);

create table if not exists meta.release_changelog (
    entry_id bigint primary key,
    written_at timestamptz not null default current_timestamp,
    source varchar,  -- null: entries adopted from a changelog written before this table
    load_id bigint,  -- the (last) published load the entry is for
    text varchar not null
);
-- Added after the tables' first versions.
alter table meta.release_changelog add column if not exists load_id bigint;
alter table meta.release_files add column if not exists fingerprint varchar;
alter table meta.release_files add column if not exists mtime_ns bigint;
