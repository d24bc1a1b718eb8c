-- marts.espaces_current: the network as of the latest snapshot, one row per open espace.
-- Refilled by espaces_current__refresh.sql after each snapshot (the table and its descriptions
-- are created once, here).
create schema if not exists marts;

create table if not exists marts.espaces_current as
with versions as (
    select * from core.espaces
),

first_seen as (
    select espace_id, min(valid_from) as first_seen
    from versions
    group by espace_id
),

latest as (
    select max(as_of) as as_of from meta.snapshots where source = 'espaces'
),

current_versions as (
    select versions.*
    from versions
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
order by current_versions.insee_dep, current_versions.espace_id
limit 0;

comment on table marts.espaces_current is 'Les espaces France services ouverts au dernier instantané de la liste, un par ligne.';
comment on column marts.espaces_current.as_of is 'Date du dernier instantané chargé.';
comment on column marts.espaces_current.espace_id is 'Identifiant de l''espace (id_fs).';
comment on column marts.espaces_current.name is 'Nom de l''espace.';
comment on column marts.espaces_current.type is 'Type : principal ou antenne.';
comment on column marts.espaces_current.format is 'Format : fixe, fixe_antennes, multisite, itinerant ou bus.';
comment on column marts.espaces_current.address is 'Adresse.';
comment on column marts.espaces_current.address_complement is 'Complément d''adresse.';
comment on column marts.espaces_current.postcode is 'Code postal.';
comment on column marts.espaces_current.insee_com is 'Code INSEE de la commune.';
comment on column marts.espaces_current.commune is 'Nom de la commune.';
comment on column marts.espaces_current.insee_dep is 'Code du département.';
comment on column marts.espaces_current.latitude is 'Latitude WGS84.';
comment on column marts.espaces_current.longitude is 'Longitude WGS84.';
comment on column marts.espaces_current.phone is 'Téléphone.';
comment on column marts.espaces_current.email is 'Adresse électronique.';
comment on column marts.espaces_current.website is 'Site web.';
comment on column marts.espaces_current.hours_monday is 'Horaires du lundi.';
comment on column marts.espaces_current.hours_tuesday is 'Horaires du mardi.';
comment on column marts.espaces_current.hours_wednesday is 'Horaires du mercredi.';
comment on column marts.espaces_current.hours_thursday is 'Horaires du jeudi.';
comment on column marts.espaces_current.hours_friday is 'Horaires du vendredi.';
comment on column marts.espaces_current.hours_saturday is 'Horaires du samedi.';
comment on column marts.espaces_current.hours_sunday is 'Horaires du dimanche.';
comment on column marts.espaces_current.appointment is 'Prise de rendez-vous proposée.';
comment on column marts.espaces_current.labellisation_date is 'Date de labellisation.';
comment on column marts.espaces_current.group_name is 'Groupe d''espaces.';
comment on column marts.espaces_current.comment is 'Commentaire publié.';
comment on column marts.espaces_current.coordinates_check is 'Contrôle des coordonnées (ok, missing, swapped, outside_territory, unknown_territory).';
comment on column marts.espaces_current.quality_flags is 'Avertissements de validation de la ligne source.';
comment on column marts.espaces_current.first_seen is 'Premier instantané où l''espace apparaît dans l''historique chargé.';
comment on column marts.espaces_current.version_since is 'Date depuis laquelle les attributs publiés n''ont pas changé.';
