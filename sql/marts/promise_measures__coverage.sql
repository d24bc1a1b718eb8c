-- Share of the population within 30 minutes of an open espace (travel-time proxy), France
-- level, per date the network is known (marts.coverage), with the 20 km figures beside it.
insert into marts.promise_measures
select
    'pop_within_30min_share' as measure,
    as_of as measured_on,
    share_pop_within_30min as value,
    '% de la population' as unit,
    'ANCT, Liste des structures France services ; communes et populations : référentiel des communes chargé ; distances calculées par ce projet' as source,
    1 as source_rank,
    'marts.coverage' as source_table,
    format(
        '{} % à 20 km au plus ; {} habitants dans {} communes à plus de 20 km',
        fr_number(share_pop_within_20km), fr_number(pop_beyond_20km), fr_number(n_communes_beyond_20km)
    ) as detail
from marts.coverage
where level = 'france' and share_pop_within_30min is not null;
