-- core.commune_nearest_place: like core.commune_nearest_espace, for the networks that include
-- the lieux de médiation numérique, on each date a national file of lieux is loaded:
-- `mediation` (the lieux alone), `france_services` (the espaces open that day, for
-- comparison) and `france_services_mediation` (both). Maintained by warehouse/mediation.py
-- through warehouse/coverage.py (Network declarations).
create schema if not exists core;

create table if not exists core.commune_nearest_place (
    network varchar not null,
    as_of date not null,
    vintage integer not null,
    code_insee varchar not null,
    place_id varchar,
    distance_km double,
    primary key (network, as_of, code_insee)
);

comment on table core.commune_nearest_place is 'Pour chaque réseau (lieux de médiation numérique, espaces France services, les deux réunis), chaque date de fichier national des lieux et chaque commune ayant des coordonnées, le lieu le plus proche dans son territoire et la distance à vol d''oiseau qui l''en sépare.';
comment on column core.commune_nearest_place.network is 'Réseau : mediation (lieux de médiation seuls), france_services (espaces ouverts ce jour-là) ou france_services_mediation (les deux réunis).';
comment on column core.commune_nearest_place.as_of is 'Date du fichier national des lieux de médiation.';
comment on column core.commune_nearest_place.vintage is 'Millésime de core.communes utilisé à cette date.';
comment on column core.commune_nearest_place.code_insee is 'Code INSEE de la commune.';
comment on column core.commune_nearest_place.place_id is 'Lieu le plus proche : « lieu: » suivi de l''identifiant du lieu de médiation, ou « fs: » suivi de l''identifiant de l''espace France services ; vide si le territoire n''en a aucun.';
comment on column core.commune_nearest_place.distance_km is 'Distance à vol d''oiseau (km) du centre de la commune à ce lieu ; vide si le territoire n''en a aucun.';

create table if not exists core.place_coverage_dates (
    network varchar not null,
    as_of date not null,
    vintage integer not null,
    communes_load_id bigint not null,
    network_hash varchar not null,
    n_places integer not null,
    computed_as_of date not null,
    computed_at timestamptz not null default current_timestamp,
    primary key (network, as_of)
);

comment on table core.place_coverage_dates is 'Pour chaque réseau et chaque date de core.commune_nearest_place, ce sur quoi le calcul repose : il n''est refait que si le réseau, le millésime ou son fichier change.';
comment on column core.place_coverage_dates.network is 'Réseau (voir core.commune_nearest_place.network).';
comment on column core.place_coverage_dates.as_of is 'Date du fichier national des lieux de médiation.';
comment on column core.place_coverage_dates.vintage is 'Millésime de core.communes utilisé.';
comment on column core.place_coverage_dates.communes_load_id is 'Chargement (meta.loads) du millésime utilisé.';
comment on column core.place_coverage_dates.network_hash is 'Empreinte MD5 des lieux du réseau ce jour-là (identifiant, département, coordonnées).';
comment on column core.place_coverage_dates.n_places is 'Nombre de lieux du réseau ce jour-là ayant des coordonnées.';
comment on column core.place_coverage_dates.computed_as_of is 'Date dont le calcul a été repris (la date elle-même si elle a été calculée).';
comment on column core.place_coverage_dates.computed_at is 'Horodatage du calcul.';
