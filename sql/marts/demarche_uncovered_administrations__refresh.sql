-- Fill marts.demarche_uncovered_administrations from the observatory's core tables.
insert into marts.demarche_uncovered_administrations by name
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

edition_volume as (
    select edition_id, sum(volume_online) as volume_online_total
    from edition_demarches
    group by all
),

uncovered as (
    select
        edition_demarches.edition_id,
        demarches.administration_id,
        demarches.administration,
        -- one row per known administration whatever its spelling; unknown names each alone
        case when demarches.administration_id is null then demarches.administration end
            as unknown_name,
        edition_demarches.volume_online
    from edition_demarches
    left join demarches using (demarche_id)
    left join mapping
        on mapping.administration_id is not distinct from demarches.administration_id
        and mapping.administration is not distinct from demarches.administration
    where mapping.partner_code is null
),

grouped as (
    select
        edition_id,
        administration_id,
        coalesce(unknown_name, min(administration)) as administration,
        administration_id is not null as administration_known,
        count(*) as n_demarches,
        sum(volume_online) as volume_online
    from uncovered
    group by edition_id, administration_id, unknown_name
)

select
    grouped.edition_id,
    rank() over (
        partition by grouped.edition_id
        order by coalesce(grouped.volume_online, -1) desc, grouped.n_demarches desc
    ) as rank_by_volume,
    grouped.administration_id,
    grouped.administration,
    grouped.administration_known,
    grouped.n_demarches,
    grouped.volume_online,
    100.0 * grouped.volume_online / nullif(edition_volume.volume_online_total, 0)
        as share_of_volume_online
from grouped
left join edition_volume using (edition_id)
-- Ties (the same volume) in a stable order, so a rebuild writes the same rows in the same order.
order by
    grouped.edition_id, rank_by_volume, grouped.administration_id nulls last,
    grouped.administration;
