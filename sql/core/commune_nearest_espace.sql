-- core.commune_nearest_espace: for each date the network is known (each espace snapshot date)
-- and each commune with coordinates of the vintage used that date, the nearest espace open
-- that day in the commune's territory (transforms/coverage.py). Maintained by
-- warehouse/coverage.py, which also keeps, per date, what the rows were computed from.
create schema if not exists core;

create table if not exists core.commune_nearest_espace (
    as_of date not null,
    vintage integer not null,
    code_insee varchar not null,
    espace_id varchar,
    distance_km double,
    primary key (as_of, code_insee)
);

comment on table core.commune_nearest_espace is 'Pour chaque date où le réseau est connu et chaque commune ayant des coordonnées, l''espace France services ouvert le plus proche dans son territoire (métropole, Corse, chaque DROM-COM) et la distance à vol d''oiseau qui l''en sépare.';
comment on column core.commune_nearest_espace.as_of is 'Date à laquelle le réseau est pris (date d''un instantané de la liste des espaces).';
comment on column core.commune_nearest_espace.vintage is 'Millésime de core.communes utilisé à cette date : le plus récent qui ne lui est pas postérieur, à défaut le plus ancien.';
comment on column core.commune_nearest_espace.code_insee is 'Code INSEE de la commune.';
comment on column core.commune_nearest_espace.espace_id is 'Espace ouvert le plus proche ce jour-là dans le territoire de la commune ; vide si le territoire n''en a aucun.';
comment on column core.commune_nearest_espace.distance_km is 'Distance à vol d''oiseau (km, grand cercle, rayon terrestre moyen) du centre de la commune à cet espace ; vide si le territoire n''a aucun espace.';

-- What each date's rows were computed from: a date is computed again only when its network,
-- its vintage or that vintage's file changes.
create table if not exists core.coverage_dates (
    as_of date primary key,
    vintage integer not null,
    communes_load_id bigint not null,
    network_hash varchar not null,
    n_espaces integer not null,
    computed_as_of date not null,
    computed_at timestamptz not null default current_timestamp
);

comment on table core.coverage_dates is 'Pour chaque date de core.commune_nearest_espace, ce sur quoi le calcul repose : le calcul n''est refait que si le réseau, le millésime ou son fichier change.';
comment on column core.coverage_dates.as_of is 'Date à laquelle le réseau est pris.';
comment on column core.coverage_dates.vintage is 'Millésime de core.communes utilisé.';
comment on column core.coverage_dates.communes_load_id is 'Chargement (meta.loads) du millésime utilisé.';
comment on column core.coverage_dates.network_hash is 'Empreinte MD5 du réseau ouvert ce jour-là (identifiant, département et coordonnées de chaque espace).';
comment on column core.coverage_dates.n_espaces is 'Nombre d''espaces ouverts ce jour-là ayant des coordonnées.';
comment on column core.coverage_dates.computed_as_of is 'Date dont le calcul a été repris (la date elle-même si elle a été calculée) : même réseau et même millésime donnent le même résultat.';
comment on column core.coverage_dates.computed_at is 'Horodatage du calcul.';
