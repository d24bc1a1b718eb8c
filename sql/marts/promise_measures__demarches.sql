-- Share of the observatory's Top 250 démarches whose administration is a France services
-- partner, per edition (marts.demarche_partner_coverage).
insert into marts.promise_measures
select
    'demarches_partner_share' as measure,
    edition_date as measured_on,
    share_covered as value,
    '% des démarches de l''édition' as unit,
    format(
        'DINUM, Observatoire de la qualité des démarches en ligne, édition {} (data.gouv.fr) ; partenaires : catalogue France services',
        edition_id
    ) as source,
    1 as source_rank,
    'marts.demarche_partner_coverage' as source_table,
    format('{} démarches sur {} relèvent d''un partenaire', fr_number(n_covered), fr_number(n_demarches)) as detail
from marts.demarche_partner_coverage
where edition_date is not null and share_covered is not null;
