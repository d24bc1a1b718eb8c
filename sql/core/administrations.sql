-- The administrations of the reference table (core.ref_administrations), with the names under
-- which the editions in force published them.
create schema if not exists core;

create or replace table core.administrations as
with reference as (
    select administration_id, name, ministry, aliases from core.ref_administrations
),

seen as (
    select
        administration_id,
        list(distinct administration order by administration) as names_seen,
        count(distinct demarche_id) as n_demarches
    from staging.observatoire_demarches
    where administration_id is not null
    group by all
)

select
    reference.administration_id,
    reference.name,
    reference.ministry,
    reference.aliases,
    coalesce(seen.names_seen, []::varchar[]) as names_seen,
    coalesce(seen.n_demarches, 0) as n_demarches
from reference
left join seen using (administration_id)
order by reference.administration_id;

comment on table core.administrations is 'Référentiel des administrations responsables des démarches de l''Observatoire, avec leurs variantes de nom (transforms/reference/administrations.csv).';
comment on column core.administrations.administration_id is 'Identifiant de l''administration (par exemple cnaf, dgfip, ants).';
comment on column core.administrations.name is 'Nom officiel de l''administration.';
comment on column core.administrations.ministry is 'Ministère de rattachement selon le référentiel.';
comment on column core.administrations.aliases is 'Sigles et variantes de nom reconnus pour cette administration.';
comment on column core.administrations.names_seen is 'Noms sous lesquels les éditions chargées publient cette administration.';
comment on column core.administrations.n_demarches is 'Nombre de démarches distinctes de cette administration dans les éditions chargées.';
