-- One row per row of each snapshot currently in force (the latest load for each date),
-- with the hash of the canonical attributes that decides when a new version starts: the
-- parser's transforms.espaces.ATTRIBUTES, in that order (tests/test_espaces_history.py checks
-- the two lists are the same).
create schema if not exists staging;

create or replace view staging.espaces as
with snapshots as (
    select as_of, load_id from meta.snapshots where source = 'espaces'
),

source as (
    select raw.*
    from raw.espaces as raw
    inner join snapshots using (load_id, as_of)
),

hashed as (
    select
        *,
        md5(to_json(struct_pack(
            name, type, format, address, address_complement, postcode, insee_com, commune,
            insee_dep, latitude, longitude, phone, email, website, hours_monday,
            hours_tuesday, hours_wednesday, hours_thursday, hours_friday, hours_saturday,
            hours_sunday, appointment, labellisation_date, group_name, comment
        ))::varchar) as attributes_hash
    from source
)

select * from hashed
