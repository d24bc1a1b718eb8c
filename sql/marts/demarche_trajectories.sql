-- Per démarche and main indicator: its first and last value over the editions in force and
-- whether it improved. Numeric indicators compare values (higher is better, except dlnuf and
-- response_time_ms where lower is better); coded indicators (online_status, franceconnect,
-- accessibility_rate, whose values mix rates and Oui / Partiel / Non) compare levels
-- (green > orange > red). A démarche with a value in a single edition has no trend.
create schema if not exists marts;

create or replace table marts.demarche_trajectories as
with rules (indicator, basis, direction) as (
    values
        ('online_status', 'level', 1),
        ('satisfaction', 'value', 1),
        ('clarity', 'value', 1),
        ('help_efficiency', 'value', 1),
        ('help_reachable', 'value', 1),
        ('digital_uptake', 'value', 1),
        ('accessibility_rate', 'level', 1),
        ('franceconnect', 'level', 1),
        ('dlnuf', 'value', -1),
        ('uptime', 'value', 1),
        ('response_time_ms', 'value', -1)
),

valued as (
    select
        cells.*,
        rules.basis,
        rules.direction,
        case rules.basis
            when 'value' then cells.value_num
            else case cells.level when 'green' then 3 when 'orange' then 2 when 'red' then 1 end
        end as score
    from core.demarche_indicators as cells
    inner join rules using (indicator)
    where cells.value_num is not null or cells.value_text is not null
),

spans as (
    select
        demarche_id,
        indicator,
        any_value(basis) as basis,
        any_value(direction) as direction,
        count(*) as n_editions,
        arg_min(edition_id, edition_date) as first_edition,
        arg_max(edition_id, edition_date) as last_edition,
        arg_min(value_num, edition_date) as first_value_num,
        arg_max(value_num, edition_date) as last_value_num,
        arg_min(value_text, edition_date) as first_value_text,
        arg_max(value_text, edition_date) as last_value_text,
        arg_min(level, edition_date) as first_level,
        arg_max(level, edition_date) as last_level,
        arg_min(score, edition_date) as first_score,
        arg_max(score, edition_date) as last_score
    from valued
    group by all
),

judged as (
    select
        spans.*,
        case
            when spans.n_editions < 2 or spans.first_score is null or spans.last_score is null
                then null
            when (spans.last_score - spans.first_score) * spans.direction > 0 then 'improved'
            when (spans.last_score - spans.first_score) * spans.direction < 0 then 'worsened'
            else 'stable'
        end as trend
    from spans
)

select
    judged.demarche_id,
    demarches.title,
    demarches.administration_id,
    judged.indicator,
    judged.n_editions,
    judged.first_edition,
    judged.last_edition,
    judged.first_value_num,
    judged.last_value_num,
    case when judged.basis = 'value' then judged.last_value_num - judged.first_value_num end
        as change,
    judged.first_value_text,
    judged.last_value_text,
    judged.first_level,
    judged.last_level,
    judged.trend
from judged
inner join core.demarches as demarches using (demarche_id)
order by judged.demarche_id, judged.indicator;

comment on table marts.demarche_trajectories is 'Trajectoire de chaque démarche pour chaque indicateur principal : première et dernière valeur sur les éditions chargées, et évolution.';
comment on column marts.demarche_trajectories.demarche_id is 'Démarche (core.demarches).';
comment on column marts.demarche_trajectories.title is 'Intitulé de la démarche dans sa dernière édition.';
comment on column marts.demarche_trajectories.administration_id is 'Administration responsable (core.administrations).';
comment on column marts.demarche_trajectories.indicator is 'Indicateur (vocabulaire de core.demarche_indicators).';
comment on column marts.demarche_trajectories.n_editions is 'Nombre d''éditions où l''indicateur a une valeur pour cette démarche.';
comment on column marts.demarche_trajectories.first_edition is 'Première édition (AAAA-MM) avec une valeur.';
comment on column marts.demarche_trajectories.last_edition is 'Dernière édition (AAAA-MM) avec une valeur.';
comment on column marts.demarche_trajectories.first_value_num is 'Première valeur numérique.';
comment on column marts.demarche_trajectories.last_value_num is 'Dernière valeur numérique.';
comment on column marts.demarche_trajectories.change is 'Écart entre la dernière et la première valeur numérique (indicateurs numériques).';
comment on column marts.demarche_trajectories.first_value_text is 'Première valeur codée.';
comment on column marts.demarche_trajectories.last_value_text is 'Dernière valeur codée.';
comment on column marts.demarche_trajectories.first_level is 'Premier niveau (green, orange, red).';
comment on column marts.demarche_trajectories.last_level is 'Dernier niveau (green, orange, red).';
comment on column marts.demarche_trajectories.trend is 'Évolution entre la première et la dernière valeur : improved (amélioration), worsened (dégradation), stable ; vide si une seule édition a une valeur. Valeurs comparées pour les indicateurs numériques (plus bas est meilleur pour dlnuf et response_time_ms), niveaux pour online_status, franceconnect et accessibility_rate.';
