-- marts.espaces_current: the network as of the latest snapshot, one row per open espace.
-- Refilled by espaces_current__refresh.sql after each snapshot (the table and its descriptions
-- are created once, here).
create schema if not exists marts;

create table if not exists marts.espaces_current (
    as_of date,
    espace_id varchar,
    name varchar,
    type varchar,
    format varchar,
    address varchar,
    address_complement varchar,
    postcode varchar,
    insee_com varchar,
    commune varchar,
    insee_dep varchar,
    latitude double,
    longitude double,
    phone varchar,
    email varchar,
    website varchar,
    hours_monday varchar,
    hours_tuesday varchar,
    hours_wednesday varchar,
    hours_thursday varchar,
    hours_friday varchar,
    hours_saturday varchar,
    hours_sunday varchar,
    appointment boolean,
    labellisation_date date,
    group_name varchar,
    comment varchar,
    coordinates_check varchar,
    quality_flags varchar[],
    first_seen date,
    version_since date
);

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
