-- The espaces open in the warehouse's history at each listing date, antennes left out so that
-- the count compares with labellisations (an antenne is attached to a labelled espace; the
-- early 2020 listings do not say which is which, so all their espaces count).
insert into marts.promise_measures
select
    'network_labelled' as measure,
    as_of as measured_on,
    sum(n_open - n_antenne)::double as value,
    'espaces labellisés' as unit,
    'ANCT, Liste des structures France services (data.gouv.fr), espaces ouverts hors antennes' as source,
    2 as source_rank,
    'marts.network_by_departement' as source_table,
    format('{} espaces ouverts dont {} antennes', fr_number(sum(n_open)), fr_number(sum(n_antenne))) as detail
from marts.network_by_departement
group by as_of
having sum(n_open) > 0;
