-- Espaces ranked by activity over the last 12 months of the feed (the 12 months ending with
-- the latest month loaded), nationally and within their département.
create schema if not exists marts;

create or replace table marts.footfall_espace_ranking as
with monthly as (
    select * from marts.footfall_monthly
    where level = 'espace' and partner is null
),

latest as (
    select max(month) as last_month from monthly
),

recent as (
    select monthly.*
    from monthly
    cross join latest
    where monthly.month > (latest.last_month - interval 12 month)::date
        and monthly.month <= latest.last_month
),

current_versions as (
    select espace_id, arg_max(insee_dep, valid_from) as dep_code, arg_max(name, valid_from) as name
    from core.espaces
    group by all
),

per_espace as (
    select
        code as espace_id,
        min(month) as first_month,
        max(month) as last_month,
        count(*) as months_reported,
        sum(requests) as requests_12m,
        sum(resolved) as resolved_12m,
        100.0 * sum(resolved) / nullif(sum(requests_resolved_counted), 0) as resolution_rate,
        bool_or(is_synthetic) as is_synthetic
    from recent
    group by all
)

select
    (select last_month from latest) as period_end,
    per_espace.espace_id,
    current_versions.name,
    current_versions.dep_code,
    per_espace.months_reported,
    per_espace.requests_12m::bigint as requests_12m,
    per_espace.resolved_12m::bigint as resolved_12m,
    per_espace.requests_12m / per_espace.months_reported as requests_per_month,
    per_espace.resolution_rate,
    rank() over (order by per_espace.requests_12m / per_espace.months_reported desc)
        as rank_france,
    rank() over (
        partition by current_versions.dep_code
        order by per_espace.requests_12m / per_espace.months_reported desc
    ) as rank_departement,
    per_espace.is_synthetic
from per_espace
left join current_versions using (espace_id)
order by rank_france, espace_id;

comment on table marts.footfall_espace_ranking is 'Classement des espaces par activité (demandes par mois déclaré) sur les 12 derniers mois du flux de fréquentation. ATTENTION : is_synthetic = vrai signale des chiffres SYNTHÉTIQUES (inventés).';
comment on column marts.footfall_espace_ranking.period_end is 'Dernier mois chargé : la période couvre les 12 mois qui finissent ce mois.';
comment on column marts.footfall_espace_ranking.espace_id is 'Identifiant de l''espace.';
comment on column marts.footfall_espace_ranking.name is 'Nom de l''espace (dernière version connue).';
comment on column marts.footfall_espace_ranking.dep_code is 'Département de l''espace (dernière version connue).';
comment on column marts.footfall_espace_ranking.months_reported is 'Mois déclarés dans la période.';
comment on column marts.footfall_espace_ranking.requests_12m is 'Demandes cumulées sur les mois déclarés de la période.';
comment on column marts.footfall_espace_ranking.resolved_12m is 'Demandes résolues sur place cumulées.';
comment on column marts.footfall_espace_ranking.requests_per_month is 'Demandes par mois déclaré : critère du classement (un espace ouvert en cours de période n''est pas pénalisé).';
comment on column marts.footfall_espace_ranking.resolution_rate is 'Taux de résolution sur place, en % (0-100).';
comment on column marts.footfall_espace_ranking.rank_france is 'Rang national (1 = le plus actif).';
comment on column marts.footfall_espace_ranking.rank_departement is 'Rang dans le département.';
comment on column marts.footfall_espace_ranking.is_synthetic is 'Vrai si les chiffres viennent du flux de démonstration SYNTHÉTIQUE (inventé).';
