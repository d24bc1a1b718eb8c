-- The official series of labellisations (Baromètre des résultats de l'action publique), France
-- level. Reads core.barometre (indicator_id, level, code, label, date, value, unit).
insert into marts.promise_measures
select
    'network_labelled' as measure,
    date as measured_on,
    value,
    'espaces labellisés' as unit,
    'Etalab / DINUM, Baromètre des résultats de l''action publique, indicateur nb-labellisations-france-services' as source,
    1 as source_rank,
    'core.barometre' as source_table,
    'labellisations cumulées, France entière' as detail
from core.barometre
where indicator_id = 'nb-labellisations-france-services'
    and level = 'france'
    and value is not null;
