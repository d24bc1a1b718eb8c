-- Every accepted observatory edition file as loaded: one row per load, with the edition it was
-- loaded as (its publication month), the quarter its data covers when the sheet names it
-- (data_period "2025-Q3" for « Chiffres VDE T3-25 ») and how its headers were read. Which load is in force for an edition is in
-- meta.snapshots (source 'observatoire', as_of = the edition's date); a later load wins.
create schema if not exists raw;

create table if not exists raw.observatoire_editions (
    load_id bigint not null,
    edition_id varchar not null,
    edition_date date not null,
    label varchar,
    generation varchar,
    number integer,
    source_file varchar,
    sha256 varchar,
    header_row integer,
    header_map json,
    unknown_columns varchar[],
    data_period varchar
);

-- Warehouses created before data_period existed.
alter table raw.observatoire_editions add column if not exists data_period varchar;
