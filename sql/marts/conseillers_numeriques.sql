-- marts.conseillers_numeriques: the host structures of conseillers numériques and the
-- conseillers they host, per publication date and territory (France, région, département).
-- Rebuilt after every load of a conseillers file. The région is the reference's for the
-- declared département (core.ref_departements), else the one the file publishes.
create schema if not exists marts;

create or replace table marts.conseillers_numeriques as

with

structures as (
    select
        structures.as_of,
        structures.dep_code,
        coalesce(departements.reg_code, structures.reg_code) as reg_code,
        structures.nb_conseillers,
        structures.france_services
    from core.conseillers_structures as structures
    left join core.ref_departements as departements
        on departements.dep_code = structures.dep_code
),

levels as (
    select *, 'france' as level, 'FR' as code from structures
    union all
    select *, 'region' as level, reg_code as code from structures where reg_code is not null
    union all
    select *, 'departement' as level, dep_code as code from structures
)

select
    as_of,
    level,
    code,
    count(*) as n_structures,
    sum(nb_conseillers)::bigint as n_conseillers,
    count(*) filter (where france_services) as n_structures_france_services,
    count(*) filter (where france_services is null) as n_structures_france_services_unknown,
    coalesce(sum(nb_conseillers) filter (where france_services), 0)::bigint
        as n_conseillers_france_services
from levels
group by as_of, level, code
order by
    as_of,
    case level when 'france' then 1 when 'region' then 2 else 3 end,
    code;

comment on table marts.conseillers_numeriques is 'Structures accueillant des conseillers numériques et nombre de conseillers attribués, par date de publication et par territoire (carte de l''ANCT).';
comment on column marts.conseillers_numeriques.as_of is 'Date de publication du fichier des structures.';
comment on column marts.conseillers_numeriques.level is 'Niveau : france, region ou departement.';
comment on column marts.conseillers_numeriques.code is 'Code du territoire : FR, code de région ou code de département (département déclaré par la structure).';
comment on column marts.conseillers_numeriques.n_structures is 'Nombre de structures d''accueil.';
comment on column marts.conseillers_numeriques.n_conseillers is 'Nombre de conseillers numériques attribués à ces structures.';
comment on column marts.conseillers_numeriques.n_structures_france_services is 'Structures qui sont aussi France services (champ france_services = oui).';
comment on column marts.conseillers_numeriques.n_structures_france_services_unknown is 'Structures dont le champ france_services n''est pas renseigné.';
comment on column marts.conseillers_numeriques.n_conseillers_france_services is 'Conseillers numériques attribués aux structures France services.';
