-- The decoded cells of the editions in force, with the démarche's stable identity.
create schema if not exists staging;

create or replace view staging.observatoire_indicators as
with in_force as (
    select load_id from meta.snapshots where source = 'observatoire'
),

source as (
    select raw.* from raw.observatoire_indicators as raw
    inner join in_force using (load_id)
),

demarches as (
    select load_id, source_row, demarche_id from staging.observatoire_demarches
),

renamed as (
    select
        source.load_id,
        source.edition_id,
        demarches.demarche_id,
        source.source_row,
        source.indicator,
        source.value_num,
        source.value_text,
        source.level,
        source.raw,
        source.null_reason,
        source.decode_issue,
        source.note
    from source
    inner join demarches using (load_id, source_row)
)

select * from renamed;
