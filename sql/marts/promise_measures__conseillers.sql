-- Conseillers numériques in post, France level (marts.conseillers_numeriques).
insert into marts.promise_measures
select
    'conseillers_numeriques' as measure,
    as_of as measured_on,
    n_conseillers::double as value,
    'conseillers numériques' as unit,
    'ANCT, carte des structures accueillant des conseillers numériques (conseillers attribués)' as source,
    1 as source_rank,
    'marts.conseillers_numeriques' as source_table,
    format(
        '{} structures d''accueil, dont {} France services',
        fr_number(n_structures), fr_number(n_structures_france_services)
    ) as detail
from marts.conseillers_numeriques
where level = 'france' and n_conseillers is not null;
