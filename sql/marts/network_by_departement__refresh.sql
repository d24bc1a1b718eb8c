-- Recompute marts.network_by_departement for the snapshot dates from $from_date on: the
-- history before that date did not change. Only versions still open on or after $from_date
-- can count, so a daily load costs one date, not the whole history.
delete from marts.network_by_departement where as_of >= $from_date;

insert into marts.network_by_departement by name
with snapshots as (
    select as_of, previous_as_of
    from (
        select as_of, lag(as_of) over (order by as_of) as previous_as_of
        from meta.snapshots
        where source = 'espaces'
    )
    where as_of >= $from_date
),

-- The versions open on or after $from_date: also every version an opening, closure or change
-- from that date is compared with (the one a new version follows ended on its first day, the
-- one a closed version is followed by started on its last), so nothing else is read.
versions as (
    select espace_id, valid_from, valid_to, insee_dep, type, format
    from core.espaces
    where valid_to is null or valid_to >= $from_date
),

open_on_date as (
    select
        snapshots.as_of,
        versions.insee_dep,
        count(*) as n_open,
        count(*) filter (where versions.type = 'principal') as n_principal,
        count(*) filter (where versions.type = 'antenne') as n_antenne,
        count(*) filter (where versions.type is null) as n_type_unknown,
        count(*) filter (where versions.format = 'fixe') as n_fixe,
        count(*) filter (where versions.format = 'fixe_antennes') as n_fixe_antennes,
        count(*) filter (where versions.format = 'multisite') as n_multisite,
        count(*) filter (where versions.format = 'itinerant') as n_itinerant,
        count(*) filter (where versions.format = 'bus') as n_bus,
        count(*) filter (where versions.format is null) as n_format_unknown
    from snapshots
    inner join versions
        on versions.valid_from <= snapshots.as_of
        and (versions.valid_to is null or snapshots.as_of < versions.valid_to)
    group by all
),

openings as (
    select versions.valid_from as as_of, versions.insee_dep, count(*) as n_opened
    from versions
    where versions.valid_from >= $from_date
        and not exists (
            select 1 from versions as previous
            where previous.espace_id = versions.espace_id
                and previous.valid_to = versions.valid_from
        )
    group by all
),

closures as (
    select versions.valid_to as as_of, versions.insee_dep, count(*) as n_closed
    from versions
    where versions.valid_to is not null
        and not exists (
            select 1 from versions as following
            where following.espace_id = versions.espace_id
                and following.valid_from = versions.valid_to
        )
    group by all
),

changes as (
    select versions.valid_from as as_of, versions.insee_dep, count(*) as n_changed
    from versions
    where versions.valid_from >= $from_date
        and exists (
            select 1 from versions as previous
            where previous.espace_id = versions.espace_id
                and previous.valid_to = versions.valid_from
        )
    group by all
),

cells as (
    select as_of, insee_dep from open_on_date
    union
    select as_of, insee_dep from openings
    union
    select as_of, insee_dep from closures
    union
    select as_of, insee_dep from changes
)

select
    cells.as_of,
    cells.insee_dep,
    snapshots.previous_as_of,
    coalesce(open_on_date.n_open, 0) as n_open,
    coalesce(open_on_date.n_principal, 0) as n_principal,
    coalesce(open_on_date.n_antenne, 0) as n_antenne,
    coalesce(open_on_date.n_type_unknown, 0) as n_type_unknown,
    coalesce(open_on_date.n_fixe, 0) as n_fixe,
    coalesce(open_on_date.n_fixe_antennes, 0) as n_fixe_antennes,
    coalesce(open_on_date.n_multisite, 0) as n_multisite,
    coalesce(open_on_date.n_itinerant, 0) as n_itinerant,
    coalesce(open_on_date.n_bus, 0) as n_bus,
    coalesce(open_on_date.n_format_unknown, 0) as n_format_unknown,
    case when snapshots.previous_as_of is not null then coalesce(openings.n_opened, 0) end
        as n_opened,
    case when snapshots.previous_as_of is not null then coalesce(closures.n_closed, 0) end
        as n_closed,
    case when snapshots.previous_as_of is not null then coalesce(changes.n_changed, 0) end
        as n_changed
from cells
inner join snapshots using (as_of)
left join open_on_date using (as_of, insee_dep)
left join openings using (as_of, insee_dep)
left join closures using (as_of, insee_dep)
left join changes using (as_of, insee_dep)
where cells.insee_dep is not null
order by cells.as_of, cells.insee_dep;
