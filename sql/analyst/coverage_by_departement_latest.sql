-- Coverage by département at the latest date.
create or replace view main.coverage_by_departement_latest as
select c.as_of, c.code as dep_code, d.dep_name, c.population, c.n_espaces,
       c.espaces_per_100k, c.mean_distance_km, c.share_pop_within_10km,
       c.share_pop_within_30min, c.pop_beyond_20km
from marts.coverage c
left join core.ref_departements d on d.dep_code = c.code
where c.level = 'departement' and c.as_of = (select max(as_of) from marts.coverage)
order by c.code;

comment on view main.coverage_by_departement_latest is 'Couverture par département à la dernière date : population, espaces, distance moyenne pondérée par la population, part de la population à moins de 10 km et à moins de 30 minutes (estimation).';
