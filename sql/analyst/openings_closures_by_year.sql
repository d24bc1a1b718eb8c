-- Openings and closures by year and département (the first snapshot counts as neither).
create or replace view main.openings_closures_by_year as
select year(as_of) as year, insee_dep,
       sum(coalesce(n_opened, 0)) as opened, sum(coalesce(n_closed, 0)) as closed
from marts.network_by_departement
group by all
order by year, insee_dep;

comment on view main.openings_closures_by_year is 'Ouvertures et fermetures d''espaces par année et département (le premier instantané ne compte ni ouverture ni fermeture).';
