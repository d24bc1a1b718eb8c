-- marts.lieux_mediation: the lieux de médiation numérique listed on each date a national file
-- was loaded, per territory (France, région, département), and how many of them are labelled
-- with the national programmes the network is compared with. Rebuilt after every load of
-- lieux (small: dates × ~120 territories).
--
-- Inputs: core.lieux_mediation (SCD2; a lieu is listed on D iff valid_from <= D and
-- (valid_to is null or D < valid_to)), meta.snapshots (source 'mediation'), and
-- core.ref_departements (département → région). A lieu without département counts in France
-- only; one whose département is not in the reference counts in no région.
create schema if not exists marts;

create or replace table marts.lieux_mediation as

with

dates as (
    select as_of from meta.snapshots where source = 'mediation'
),

listed as (
    select
        dates.as_of,
        lieux.lieu_id,
        lieux.dep_code,
        departements.reg_code,
        list_contains(lieux.dispositif_programmes_nationaux, 'Conseillers numériques')
            as conseillers_numeriques,
        list_contains(lieux.dispositif_programmes_nationaux, 'France Services')
            as france_services,
        list_contains(lieux.dispositif_programmes_nationaux, 'Aidants Connect')
            as aidants_connect,
        lieux.latitude is not null and lieux.longitude is not null as located
    from dates
    inner join core.lieux_mediation as lieux
        on lieux.valid_from <= dates.as_of
        and (lieux.valid_to is null or dates.as_of < lieux.valid_to)
    left join core.ref_departements as departements
        on departements.dep_code = lieux.dep_code
),

levels as (
    select *, 'france' as level, 'FR' as code from listed
    union all
    select *, 'region' as level, reg_code as code from listed where reg_code is not null
    union all
    select *, 'departement' as level, dep_code as code from listed where dep_code is not null
)

select
    as_of,
    level,
    code,
    count(*) as n_lieux,
    count(*) filter (where conseillers_numeriques) as n_conseillers_numeriques,
    count(*) filter (where france_services) as n_france_services,
    count(*) filter (where aidants_connect) as n_aidants_connect,
    count(*) filter (where located) as n_located
from levels
group by as_of, level, code
order by
    as_of,
    case level when 'france' then 1 when 'region' then 2 else 3 end,
    code;

comment on table marts.lieux_mediation is 'Lieux de médiation numérique recensés par le fichier national à chaque date chargée, par territoire, dont ceux qui relèvent des dispositifs Conseillers numériques, France Services et Aidants Connect.';
comment on column marts.lieux_mediation.as_of is 'Date du fichier national des lieux de médiation numérique.';
comment on column marts.lieux_mediation.level is 'Niveau : france, region ou departement.';
comment on column marts.lieux_mediation.code is 'Code du territoire : FR, code de région ou code de département.';
comment on column marts.lieux_mediation.n_lieux is 'Nombre de lieux recensés (un lieu sans département ne compte qu''au niveau France).';
comment on column marts.lieux_mediation.n_conseillers_numeriques is 'Lieux dont dispositif_programmes_nationaux comprend « Conseillers numériques ».';
comment on column marts.lieux_mediation.n_france_services is 'Lieux dont dispositif_programmes_nationaux comprend « France Services ».';
comment on column marts.lieux_mediation.n_aidants_connect is 'Lieux dont dispositif_programmes_nationaux comprend « Aidants Connect ».';
comment on column marts.lieux_mediation.n_located is 'Lieux ayant des coordonnées (ceux que la couverture de la population prend en compte).';
