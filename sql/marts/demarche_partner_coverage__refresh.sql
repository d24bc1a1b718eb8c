-- Fill marts.demarche_partner_coverage from the observatory's core tables and the mapping of
-- its administrations (core.observatory_administration_partners).
insert into marts.demarche_partner_coverage by name
with edition_demarches as (
    select
        edition_id,
        demarche_id,
        max(value_num) filter (where indicator = 'volume_online') as volume_online
    from core.demarche_indicators
    group by all
),

demarches as (
    select demarche_id, administration_id, administration from core.demarches
),

mapping as (
    select administration_id, administration, partner_code
    from core.observatory_administration_partners
),

editions as (
    select edition_id, min(edition_date) as edition_date
    from core.demarche_indicators
    group by all
),

located as (
    select
        edition_demarches.edition_id,
        edition_demarches.demarche_id,
        edition_demarches.volume_online,
        demarches.administration_id,
        coalesce(demarches.administration_id, 'nom:' || demarches.administration)
            as administration_key,
        mapping.partner_code
    from edition_demarches
    left join demarches using (demarche_id)
    left join mapping
        on mapping.administration_id is not distinct from demarches.administration_id
        and mapping.administration is not distinct from demarches.administration
)

select
    located.edition_id,
    editions.edition_date,
    count(*) as n_demarches,
    count(*) filter (where partner_code is not null) as n_covered,
    100.0 * count(*) filter (where partner_code is not null) / count(*) as share_covered,
    count(volume_online) as n_demarches_with_volume,
    sum(volume_online) as volume_online_total,
    coalesce(sum(volume_online) filter (where partner_code is not null), 0)
        as volume_online_covered,
    100.0 * coalesce(sum(volume_online) filter (where partner_code is not null), 0)
        / nullif(sum(volume_online), 0) as share_covered_by_volume,
    count(distinct administration_key) as n_administrations,
    count(distinct administration_key) filter (where partner_code is not null)
        as n_administrations_covered,
    count(*) filter (where administration_id is null) as n_demarches_administration_unknown
from located
left join editions using (edition_id)
group by all
order by located.edition_id;
