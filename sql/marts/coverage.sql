-- marts.coverage: how far inhabitants live from the nearest open France services, per date
-- and area (France, region, département, density class).
--
-- Inputs, provided by the warehouse:
--
--   core.communes (
--       vintage INTEGER,          -- population vintage (year)
--       code_insee VARCHAR,       -- one row per commune and vintage, each inhabitant once
--                                 -- (arrondissements of Paris/Lyon/Marseille replace their parent)
--       name VARCHAR,
--       typecom VARCHAR,          -- COM or ARM
--       dep_code VARCHAR,         -- 01…95, 2A, 2B, 971…
--       reg_code VARCHAR,         -- null when unknown
--       population BIGINT,
--       latitude DOUBLE,          -- commune centre, null when unknown
--       longitude DOUBLE,
--       density_class VARCHAR     -- INSEE density grid, null when the source has none
--   )
--   core.commune_nearest_espace (
--       as_of DATE,               -- the date the network is taken on
--       vintage INTEGER,          -- the core.communes vintage used on that date (one per date)
--       code_insee VARCHAR,       -- one row per date and commune having coordinates
--       espace_id VARCHAR,        -- nearest espace open that day in the commune's territory,
--                                 -- null when the territory has none
--       distance_km DOUBLE        -- great-circle distance (transforms/coverage.py), null likewise
--   )
--   core.espaces (SCD2, sql/core/espaces.sql; read here: espace_id, valid_from, valid_to,
--       insee_dep, insee_com). An espace is open on day D iff valid_from <= D and
--       (valid_to is null or D < valid_to).
--
-- Rules:
--   - the communes of a date are all communes of the vintage used that date. A commune without
--     coordinates counts in population and n_communes, is reported in pop_without_coordinates
--     and is left out of every distance figure (mean, median, shares, beyond-20-km counts)
--   - distance figures are weighted by population, over communes with coordinates. A commune
--     whose territory has no open espace counts as beyond every threshold, and is left out of
--     the mean and the median (which are then over communes having an espace)
--   - thresholds are inclusive: "within 5 km" is distance_km <= 5
--   - median_distance_km is the lower population-weighted median: the smallest distance d such
--     that the communes at d or nearer hold at least half the population
--   - n_espaces counts espaces open that day located in the area: by insee_dep for départements,
--     through the départements of its communes for a region, through the commune (insee_com)
--     for a density class (an espace whose commune is not in core.communes counts in no class)
--   - the 30-minute threshold is the travel-time proxy of the `parameters` CTE below.

create schema if not exists marts;

create or replace table marts.coverage as

with

parameters as (
    -- The travel-time proxy, equal to TRAVEL_DETOUR_FACTOR and TRAVEL_SPEED_KMH in
    -- transforms/coverage.py (road distance ≈ 1.3 × great-circle distance, driven at 60 km/h
    -- on average): the tests check that both give the same 30-minute distance (≈ 23.08 km).
    select
        1.3::double as travel_detour_factor,
        60.0::double as travel_speed_kmh,
        30.0::double as travel_minutes_target,
        20.0::double as far_km
),

thresholds as (
    select
        travel_minutes_target / 60.0 * travel_speed_kmh / travel_detour_factor
            as within_minutes_km,
        far_km
    from parameters
),

snapshots as (
    select distinct as_of, vintage
    from core.commune_nearest_espace
),

communes as (
    select
        snapshots.as_of,
        communes.code_insee,
        communes.dep_code,
        communes.reg_code,
        communes.density_class,
        coalesce(communes.population, 0) as population,
        communes.latitude is not null and communes.longitude is not null as located,
        nearest.espace_id,
        nearest.distance_km
    from snapshots
    inner join core.communes as communes
        on communes.vintage = snapshots.vintage
    left join core.commune_nearest_espace as nearest
        on nearest.as_of = snapshots.as_of
        and nearest.vintage = snapshots.vintage
        and nearest.code_insee = communes.code_insee
),

levels as (
    select *, 'france' as level, 'FR' as code from communes
    union all
    select *, 'region' as level, reg_code as code from communes where reg_code is not null
    union all
    select *, 'departement' as level, dep_code as code from communes where dep_code is not null
    union all
    select *, 'densite' as level, density_class as code
    from communes
    where density_class is not null
),

ranked as (
    select
        as_of,
        level,
        code,
        distance_km,
        sum(population) over (
            partition by as_of, level, code
            order by distance_km, code_insee
            rows between unbounded preceding and current row
        ) as cumulative_population,
        sum(population) over (partition by as_of, level, code) as reached_population
    from levels
    where located and distance_km is not null
),

medians as (
    select
        as_of,
        level,
        code,
        min(distance_km) as median_distance_km
    from ranked
    where reached_population > 0 and cumulative_population * 2 >= reached_population
    group by as_of, level, code
),

aggregated as (
    select
        levels.as_of,
        levels.level,
        levels.code,
        sum(population)::bigint as population,
        count(*) as n_communes,
        (sum(population) filter (where located))::double as located_population,
        (sum(population * distance_km) filter (where located and distance_km is not null))
            / nullif(sum(population) filter (where located and distance_km is not null), 0)
            as mean_distance_km,
        (sum(population) filter (where located and distance_km <= 5))::double
            as pop_within_5km,
        (sum(population) filter (where located and distance_km <= 10))::double
            as pop_within_10km,
        (sum(population) filter (where located and distance_km <= 20))::double
            as pop_within_20km,
        (sum(population) filter (
            where located and distance_km <= thresholds.within_minutes_km
        ))::double as pop_within_minutes,
        coalesce(sum(population) filter (
            where located and (distance_km is null or distance_km > thresholds.far_km)
        ), 0)::bigint as pop_beyond_20km,
        count(*) filter (
            where located and (distance_km is null or distance_km > thresholds.far_km)
        ) as n_communes_beyond_20km,
        coalesce(sum(population) filter (where not located), 0)::bigint
            as pop_without_coordinates,
        count(*) filter (where not located) as n_communes_without_coordinates
    from levels
    cross join thresholds
    group by levels.as_of, levels.level, levels.code
),

open_espaces as (
    select
        dates.as_of,
        espaces.espace_id,
        espaces.insee_com,
        -- '1' → '01' (2020-era codes); lpad would cut '971' to '97'
        case
            when length(espaces.insee_dep) = 1 then '0' || espaces.insee_dep
            else espaces.insee_dep
        end as dep_code
    from (select distinct as_of from snapshots) as dates
    inner join core.espaces as espaces
        on espaces.valid_from <= dates.as_of
        and (espaces.valid_to is null or dates.as_of < espaces.valid_to)
),

departements as (
    select
        snapshots.as_of,
        communes.dep_code,
        min(communes.reg_code) as reg_code
    from snapshots
    inner join core.communes as communes
        on communes.vintage = snapshots.vintage
    group by snapshots.as_of, communes.dep_code
),

espace_counts as (
    select as_of, 'france' as level, 'FR' as code, count(distinct espace_id) as n_espaces
    from open_espaces
    group by as_of
    union all
    select
        open_espaces.as_of,
        'region' as level,
        departements.reg_code as code,
        count(distinct open_espaces.espace_id) as n_espaces
    from open_espaces
    inner join departements
        on departements.as_of = open_espaces.as_of
        and departements.dep_code = open_espaces.dep_code
    where departements.reg_code is not null
    group by open_espaces.as_of, departements.reg_code
    union all
    select as_of, 'departement' as level, dep_code as code, count(distinct espace_id) as n_espaces
    from open_espaces
    group by as_of, dep_code
    union all
    select
        open_espaces.as_of,
        'densite' as level,
        communes.density_class as code,
        count(distinct open_espaces.espace_id) as n_espaces
    from open_espaces
    inner join snapshots
        on snapshots.as_of = open_espaces.as_of
    inner join core.communes as communes
        on communes.vintage = snapshots.vintage
        and communes.code_insee = open_espaces.insee_com
    where communes.density_class is not null
    group by open_espaces.as_of, communes.density_class
),

final as (
    select
        aggregated.as_of,
        aggregated.level,
        aggregated.code,
        aggregated.population,
        aggregated.n_communes,
        coalesce(espace_counts.n_espaces, 0) as n_espaces,
        round(
            coalesce(espace_counts.n_espaces, 0) * 100000.0 / nullif(aggregated.population, 0),
            3
        )::double as espaces_per_100k,
        round(aggregated.mean_distance_km, 3)::double as mean_distance_km,
        round(medians.median_distance_km, 3)::double as median_distance_km,
        round(
            100.0 * coalesce(aggregated.pop_within_5km, 0)
            / nullif(aggregated.located_population, 0),
            3
        )::double as share_pop_within_5km,
        round(
            100.0 * coalesce(aggregated.pop_within_10km, 0)
            / nullif(aggregated.located_population, 0),
            3
        )::double as share_pop_within_10km,
        round(
            100.0 * coalesce(aggregated.pop_within_20km, 0)
            / nullif(aggregated.located_population, 0),
            3
        )::double as share_pop_within_20km,
        round(
            100.0 * coalesce(aggregated.pop_within_minutes, 0)
            / nullif(aggregated.located_population, 0),
            3
        )::double as share_pop_within_30min,
        aggregated.pop_beyond_20km,
        aggregated.n_communes_beyond_20km,
        aggregated.pop_without_coordinates,
        aggregated.n_communes_without_coordinates
    from aggregated
    left join espace_counts
        on espace_counts.as_of = aggregated.as_of
        and espace_counts.level = aggregated.level
        and espace_counts.code = aggregated.code
    left join medians
        on medians.as_of = aggregated.as_of
        and medians.level = aggregated.level
        and medians.code = aggregated.code
)

select * from final
order by
    as_of,
    case level when 'france' then 1 when 'region' then 2 when 'departement' then 3 else 4 end,
    code;

comment on table marts.coverage is 'Couverture territoriale du réseau France services : par date et par territoire, la population et la distance qui la sépare de l''espace ouvert le plus proche (distance à vol d''oiseau depuis le centre de chaque commune, pondérée par la population).';
comment on column marts.coverage.as_of is 'Date à laquelle le réseau est pris (espaces ouverts ce jour-là).';
comment on column marts.coverage.level is 'Niveau : france, region, departement ou densite (classe de la grille communale de densité de l''INSEE).';
comment on column marts.coverage.code is 'Code du territoire : FR, code de région, code de département ou classe de densité.';
comment on column marts.coverage.population is 'Population municipale du territoire (toutes ses communes, avec ou sans coordonnées).';
comment on column marts.coverage.n_communes is 'Nombre de communes du territoire (les arrondissements municipaux de Paris, Lyon et Marseille comptent à la place de leur commune).';
comment on column marts.coverage.n_espaces is 'Nombre d''espaces ouverts ce jour-là situés dans le territoire (par leur département, ou par leur commune pour une classe de densité).';
comment on column marts.coverage.espaces_per_100k is 'Espaces ouverts pour 100 000 habitants.';
comment on column marts.coverage.mean_distance_km is 'Distance moyenne (km, à vol d''oiseau) du centre de la commune à l''espace ouvert le plus proche, pondérée par la population, sur les communes ayant des coordonnées et un espace dans leur territoire.';
comment on column marts.coverage.median_distance_km is 'Médiane (inférieure) des mêmes distances pondérée par la population : la moitié de la population vit à cette distance ou moins.';
comment on column marts.coverage.share_pop_within_5km is 'Part (0-100) de la population avec coordonnées vivant à 5 km au plus d''un espace ouvert.';
comment on column marts.coverage.share_pop_within_10km is 'Part (0-100) de la population avec coordonnées vivant à 10 km au plus d''un espace ouvert.';
comment on column marts.coverage.share_pop_within_20km is 'Part (0-100) de la population avec coordonnées vivant à 20 km au plus d''un espace ouvert.';
comment on column marts.coverage.share_pop_within_30min is 'Part (0-100) de la population avec coordonnées à 30 minutes au plus selon l''approximation du temps de trajet : distance à vol d''oiseau d''au plus 30 min × 60 km/h ÷ facteur de détour 1,3, soit environ 23,08 km.';
comment on column marts.coverage.pop_beyond_20km is 'Population des communes à plus de 20 km de tout espace ouvert (ou sans espace dans leur territoire).';
comment on column marts.coverage.n_communes_beyond_20km is 'Nombre de communes à plus de 20 km de tout espace ouvert (ou sans espace dans leur territoire).';
comment on column marts.coverage.pop_without_coordinates is 'Population des communes sans coordonnées, exclue de toutes les mesures de distance.';
comment on column marts.coverage.n_communes_without_coordinates is 'Nombre de communes sans coordonnées.';
