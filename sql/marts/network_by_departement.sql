-- For every snapshot date and département: espaces open by type and format, and the
-- openings, closures and changes since the previous snapshot (null at the first snapshot,
-- where the history starts and nothing can be called an opening).
create schema if not exists marts;

create or replace table marts.network_by_departement as
with snapshots as (
    select as_of, lag(as_of) over (order by as_of) as previous_as_of
    from meta.snapshots
    where source = 'espaces'
),

versions as (
    select * from core.espaces
),

departements as (
    select distinct insee_dep from versions where insee_dep is not null
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
    where not exists (
        select 1 from versions as previous
        where previous.espace_id = versions.espace_id and previous.valid_to = versions.valid_from
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
    where exists (
        select 1 from versions as previous
        where previous.espace_id = versions.espace_id and previous.valid_to = versions.valid_from
    )
    group by all
),

grid as (
    select snapshots.as_of, snapshots.previous_as_of, departements.insee_dep
    from snapshots
    cross join departements
)

select
    grid.as_of,
    grid.insee_dep,
    grid.previous_as_of,
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
    case when grid.previous_as_of is not null then coalesce(openings.n_opened, 0) end
        as n_opened,
    case when grid.previous_as_of is not null then coalesce(closures.n_closed, 0) end
        as n_closed,
    case when grid.previous_as_of is not null then coalesce(changes.n_changed, 0) end
        as n_changed
from grid
left join open_on_date using (as_of, insee_dep)
left join openings using (as_of, insee_dep)
left join closures using (as_of, insee_dep)
left join changes using (as_of, insee_dep)
order by grid.as_of, grid.insee_dep;

comment on table marts.network_by_departement is 'Réseau France services par date d''instantané et département : espaces ouverts par type et format, ouvertures, fermetures et changements depuis l''instantané précédent.';
comment on column marts.network_by_departement.as_of is 'Date de l''instantané de la liste.';
comment on column marts.network_by_departement.insee_dep is 'Code du département.';
comment on column marts.network_by_departement.previous_as_of is 'Date de l''instantané précédent (vide pour le premier).';
comment on column marts.network_by_departement.n_open is 'Espaces ouverts à cette date.';
comment on column marts.network_by_departement.n_principal is 'Dont espaces principaux.';
comment on column marts.network_by_departement.n_antenne is 'Dont antennes.';
comment on column marts.network_by_departement.n_type_unknown is 'Dont type non publié (listes de début 2020).';
comment on column marts.network_by_departement.n_fixe is 'Dont format fixe.';
comment on column marts.network_by_departement.n_fixe_antennes is 'Dont format fixe avec antenne(s).';
comment on column marts.network_by_departement.n_multisite is 'Dont format multisites.';
comment on column marts.network_by_departement.n_itinerant is 'Dont format itinérant.';
comment on column marts.network_by_departement.n_bus is 'Dont format bus.';
comment on column marts.network_by_departement.n_format_unknown is 'Dont format non publié.';
comment on column marts.network_by_departement.n_opened is 'Espaces ouverts depuis l''instantané précédent (vide au premier instantané).';
comment on column marts.network_by_departement.n_closed is 'Espaces fermés (absents) depuis l''instantané précédent, comptés dans leur dernier département.';
comment on column marts.network_by_departement.n_changed is 'Espaces dont un attribut publié a changé depuis l''instantané précédent.';
