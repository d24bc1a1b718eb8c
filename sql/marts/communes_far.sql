-- marts.communes_far: on the latest date, the communes more than 20 km (great circle) from the
-- nearest open France services, most populated first.
--
-- Inputs, provided by the warehouse (see sql/marts/coverage.sql for their full shape):
--
--   core.communes (vintage INTEGER, code_insee VARCHAR, name VARCHAR, typecom VARCHAR,
--       dep_code VARCHAR, reg_code VARCHAR, population BIGINT, latitude DOUBLE,
--       longitude DOUBLE, density_class VARCHAR)
--   core.commune_nearest_espace (as_of DATE, vintage INTEGER, code_insee VARCHAR,
--       espace_id VARCHAR, distance_km DOUBLE), one row per date and commune having
--       coordinates; espace_id and distance_km are null when the commune's territory has no
--       open espace
--   core.espaces (SCD2, sql/core/espaces.sql; read here: espace_id, valid_from, valid_to, name)
--
-- A commune whose territory has no open espace at all is listed too, with null espace and
-- distance. travel_minutes_proxy is the travel-time proxy of transforms/coverage.py
-- (distance × detour factor 1.3 at 60 km/h), rounded to 0.1 minute.

create schema if not exists marts;

create or replace table marts.communes_far as

with

parameters as (
    -- Equal to TRAVEL_DETOUR_FACTOR and TRAVEL_SPEED_KMH in transforms/coverage.py, and to the
    -- parameters of sql/marts/coverage.sql: the tests check that they agree.
    select
        1.3::double as travel_detour_factor,
        60.0::double as travel_speed_kmh,
        20.0::double as far_km
),

latest as (
    select max(as_of) as as_of
    from core.commune_nearest_espace
),

nearest as (
    select nearest.*
    from core.commune_nearest_espace as nearest
    inner join latest
        on latest.as_of = nearest.as_of
),

open_espaces as (
    select
        espaces.espace_id,
        espaces.name
    from core.espaces as espaces
    inner join latest
        on espaces.valid_from <= latest.as_of
        and (espaces.valid_to is null or latest.as_of < espaces.valid_to)
    qualify row_number() over (
        partition by espaces.espace_id order by espaces.valid_from desc
    ) = 1
),

far as (
    select
        nearest.as_of,
        nearest.code_insee,
        communes.name,
        communes.dep_code,
        communes.population,
        nearest.espace_id,
        open_espaces.name as espace_name,
        nearest.distance_km,
        round(
            nearest.distance_km * parameters.travel_detour_factor
            / parameters.travel_speed_kmh * 60.0,
            1
        )::double as travel_minutes_proxy
    from nearest
    cross join parameters
    inner join core.communes as communes
        on communes.vintage = nearest.vintage
        and communes.code_insee = nearest.code_insee
    left join open_espaces
        on open_espaces.espace_id = nearest.espace_id
    where nearest.distance_km is null or nearest.distance_km > parameters.far_km
),

ranked as (
    select
        as_of,
        row_number() over (
            order by population desc nulls last, code_insee
        ) as population_rank,
        code_insee,
        name,
        dep_code,
        population,
        espace_id,
        espace_name,
        distance_km,
        travel_minutes_proxy
    from far
)

select * from ranked
order by population_rank;

comment on table marts.communes_far is 'Communes situées à plus de 20 km (à vol d''oiseau, depuis le centre de la commune) de l''espace France services ouvert le plus proche à la dernière date, les plus peuplées d''abord.';
comment on column marts.communes_far.as_of is 'Date à laquelle le réseau est pris (la plus récente de l''entrepôt).';
comment on column marts.communes_far.population_rank is 'Rang selon la population, 1 = la plus peuplée (à égalité, par code INSEE).';
comment on column marts.communes_far.code_insee is 'Code INSEE de la commune (code d''arrondissement municipal à Paris, Lyon et Marseille).';
comment on column marts.communes_far.name is 'Nom de la commune.';
comment on column marts.communes_far.dep_code is 'Code du département.';
comment on column marts.communes_far.population is 'Population municipale.';
comment on column marts.communes_far.espace_id is 'Espace ouvert le plus proche dans le territoire de la commune ; vide si le territoire n''en a aucun.';
comment on column marts.communes_far.espace_name is 'Nom de cet espace à cette date.';
comment on column marts.communes_far.distance_km is 'Distance à vol d''oiseau (km) du centre de la commune à cet espace.';
comment on column marts.communes_far.travel_minutes_proxy is 'Approximation du temps de trajet en minutes : distance × facteur de détour 1,3 à 60 km/h (arrondie au dixième).';
