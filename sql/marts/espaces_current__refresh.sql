-- Refill marts.espaces_current from core.espaces (small: one row per open espace). Each part
-- reads core.espaces itself: a CTE read twice is materialised whole, every column of every
-- version, a cost that grows with the history.
delete from marts.espaces_current;

insert into marts.espaces_current by name
with first_seen as (
    select espace_id, min(valid_from) as first_seen
    from core.espaces
    group by espace_id
),

latest as (
    select max(as_of) as as_of from meta.snapshots where source = 'espaces'
),

current_versions as (
    select *
    from core.espaces
    where valid_to is null
)

select
    latest.as_of,
    current_versions.espace_id,
    current_versions.name,
    current_versions.type,
    current_versions.format,
    current_versions.address,
    current_versions.address_complement,
    current_versions.postcode,
    current_versions.insee_com,
    current_versions.commune,
    current_versions.insee_dep,
    current_versions.latitude,
    current_versions.longitude,
    current_versions.phone,
    current_versions.email,
    current_versions.website,
    current_versions.hours_monday,
    current_versions.hours_tuesday,
    current_versions.hours_wednesday,
    current_versions.hours_thursday,
    current_versions.hours_friday,
    current_versions.hours_saturday,
    current_versions.hours_sunday,
    current_versions.appointment,
    current_versions.labellisation_date,
    current_versions.group_name,
    current_versions.comment,
    current_versions.coordinates_check,
    current_versions.quality_flags,
    first_seen.first_seen,
    current_versions.valid_from as version_since
from current_versions
inner join first_seen using (espace_id)
cross join latest
order by current_versions.insee_dep, current_versions.espace_id;
