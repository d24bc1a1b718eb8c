-- marts.mediation_coverage: how far inhabitants live from the nearest lieu de médiation
-- numérique, from the nearest espace France services, and from the nearest of either, on each
-- date a national file of lieux was loaded, per territory (France, région, département).
-- Rebuilt after every update of core.commune_nearest_place.
--
-- Inputs: core.commune_nearest_place (network, as_of, vintage, code_insee, place_id,
-- distance_km; warehouse/mediation_marts.py), core.place_coverage_dates (n_places) and
-- core.communes. The rules are marts.coverage's (sql/marts/coverage.sql): distances from the
-- commune's centre, weighted by population, over communes with coordinates; thresholds
-- inclusive; a commune whose territory has no place counts as beyond every threshold and is
-- left out of the mean; 30 minutes is the travel-time proxy (30 min × 60 km/h ÷ 1.3).
create schema if not exists marts;

create or replace table marts.mediation_coverage as

with

parameters as (
    -- Equal to TRAVEL_DETOUR_FACTOR and TRAVEL_SPEED_KMH in transforms/coverage.py.
    select
        30.0 / 60.0 * 60.0 / 1.3 as within_minutes_km,
        20.0::double as far_km
),

dates as (
    select network, as_of, vintage, n_places from core.place_coverage_dates
),

communes as (
    select
        dates.network,
        dates.as_of,
        communes.code_insee,
        communes.dep_code,
        communes.reg_code,
        coalesce(communes.population, 0) as population,
        communes.latitude is not null and communes.longitude is not null as located,
        nearest.distance_km
    from dates
    inner join core.communes as communes
        on communes.vintage = dates.vintage
    left join core.commune_nearest_place as nearest
        on nearest.network = dates.network
        and nearest.as_of = dates.as_of
        and nearest.code_insee = communes.code_insee
),

levels as (
    select *, 'france' as level, 'FR' as code from communes
    union all
    select *, 'region' as level, reg_code as code from communes where reg_code is not null
    union all
    select *, 'departement' as level, dep_code as code from communes where dep_code is not null
),

aggregated as (
    select
        levels.network,
        levels.as_of,
        levels.level,
        levels.code,
        sum(population)::bigint as population,
        count(*) as n_communes,
        (sum(population) filter (where located))::double as located_population,
        sum(population * distance_km) filter (where located and distance_km is not null)
            / nullif(sum(population) filter (where located and distance_km is not null), 0)
            as mean_distance_km,
        (sum(population) filter (where located and distance_km <= 5))::double as within_5,
        (sum(population) filter (where located and distance_km <= 10))::double as within_10,
        (sum(population) filter (where located and distance_km <= 20))::double as within_20,
        (sum(population) filter (
            where located and distance_km <= parameters.within_minutes_km
        ))::double as within_minutes,
        coalesce(sum(population) filter (
            where located and (distance_km is null or distance_km > parameters.far_km)
        ), 0)::bigint as pop_beyond_20km
    from levels
    cross join parameters
    group by levels.network, levels.as_of, levels.level, levels.code
)

select
    aggregated.as_of,
    aggregated.network,
    aggregated.level,
    aggregated.code,
    aggregated.population,
    aggregated.n_communes,
    case when aggregated.level = 'france' then dates.n_places end as n_places,
    round(aggregated.mean_distance_km, 3)::double as mean_distance_km,
    round(100.0 * coalesce(within_5, 0) / nullif(located_population, 0), 3)::double
        as share_pop_within_5km,
    round(100.0 * coalesce(within_10, 0) / nullif(located_population, 0), 3)::double
        as share_pop_within_10km,
    round(100.0 * coalesce(within_20, 0) / nullif(located_population, 0), 3)::double
        as share_pop_within_20km,
    round(100.0 * coalesce(within_minutes, 0) / nullif(located_population, 0), 3)::double
        as share_pop_within_30min,
    aggregated.pop_beyond_20km
from aggregated
inner join dates
    on dates.network = aggregated.network
    and dates.as_of = aggregated.as_of
order by
    aggregated.as_of,
    aggregated.network,
    case aggregated.level when 'france' then 1 when 'region' then 2 else 3 end,
    aggregated.code;

comment on table marts.mediation_coverage is 'Couverture de la population par les lieux de médiation numérique seuls, par les espaces France services et par les deux réunis, à chaque date du fichier national des lieux, par territoire (distance à vol d''oiseau depuis le centre de chaque commune, pondérée par la population).';
comment on column marts.mediation_coverage.as_of is 'Date du fichier national des lieux de médiation (les espaces France services pris ouverts ce jour-là).';
comment on column marts.mediation_coverage.network is 'Réseau : mediation (lieux de médiation seuls), france_services (espaces France services seuls) ou france_services_mediation (les deux réunis).';
comment on column marts.mediation_coverage.level is 'Niveau : france, region ou departement.';
comment on column marts.mediation_coverage.code is 'Code du territoire : FR, code de région ou code de département.';
comment on column marts.mediation_coverage.population is 'Population municipale du territoire.';
comment on column marts.mediation_coverage.n_communes is 'Nombre de communes du territoire.';
comment on column marts.mediation_coverage.n_places is 'Nombre de lieux du réseau ayant des coordonnées (niveau France seulement).';
comment on column marts.mediation_coverage.mean_distance_km is 'Distance moyenne (km, à vol d''oiseau) du centre de la commune au lieu le plus proche du réseau, pondérée par la population.';
comment on column marts.mediation_coverage.share_pop_within_5km is 'Part (0-100) de la population avec coordonnées à 5 km au plus d''un lieu du réseau.';
comment on column marts.mediation_coverage.share_pop_within_10km is 'Part (0-100) de la population avec coordonnées à 10 km au plus d''un lieu du réseau.';
comment on column marts.mediation_coverage.share_pop_within_20km is 'Part (0-100) de la population avec coordonnées à 20 km au plus d''un lieu du réseau.';
comment on column marts.mediation_coverage.share_pop_within_30min is 'Part (0-100) de la population avec coordonnées à 30 minutes au plus selon l''approximation du temps de trajet (environ 23,08 km à vol d''oiseau).';
comment on column marts.mediation_coverage.pop_beyond_20km is 'Population des communes à plus de 20 km de tout lieu du réseau (ou sans lieu dans leur territoire).';
