-- The published national figures (core.official_figures) beside what the footfall feed gives
-- for the same measure, where both exist: yearly requests (months of the period), monthly
-- accompaniments (mean of the period's months), share handled on site and per-operator shares
-- (the whole feed: the sources cite no period).
create schema if not exists marts;

create or replace table marts.footfall_reconciliation as
with figures as (
    select * from core.official_figures
),

france as (
    select * from marts.footfall_monthly
    where level = 'france' and partner is null
),

-- espace-months that send both a total and a breakdown: the base of per-partner shares
shared_base as (
    select totals.espace_id, totals.month, totals.requests, totals.is_synthetic
    from core.footfall as totals
    where totals.partner_code is null
        and exists (
            select 1 from core.footfall as parts
            where parts.espace_id = totals.espace_id and parts.month = totals.month
                and parts.partner_code is not null
        )
),

partner_requests as (
    select parts.partner_code, sum(parts.requests) as requests
    from core.footfall as parts
    inner join shared_base using (espace_id, month)
    where parts.partner_code is not null
    group by all
),

period_totals as (
    select
        figures.figure_code, figures.scope, figures.period_start, figures.period_end,
        sum(france.requests) as feed_sum,
        avg(france.requests) as feed_mean,
        count(france.month) as feed_months,
        bool_or(france.is_synthetic) as is_synthetic
    from figures
    inner join france
        on france.month between date_trunc('month', figures.period_start)
        and figures.period_end
    where figures.figure_code in ('requests_per_year', 'accompaniments_per_month')
    group by all
),

computed as (
    select
        figure_code, scope, period_start, period_end,
        case when figure_code = 'requests_per_year' then feed_sum else feed_mean end
            as feed_value,
        feed_months,
        case
            when figure_code = 'requests_per_year'
                then 'somme des demandes France (tous partenaires) des mois de la période'
            else 'moyenne mensuelle des demandes France (tous partenaires) sur la période'
        end as method,
        is_synthetic
    from period_totals
    union all
    select
        figures.figure_code, figures.scope, figures.period_start, figures.period_end,
        100.0 * sum(france.resolved) / nullif(sum(france.requests_resolved_counted), 0),
        count(france.month),
        'taux de résolution sur place de tout le flux (période non citée par la source)',
        bool_or(france.is_synthetic)
    from figures
    cross join france
    where figures.figure_code = 'handled_on_site_share'
    group by all
    union all
    select
        figures.figure_code, figures.scope, figures.period_start, figures.period_end,
        100.0 * partner_requests.requests
            / nullif((select sum(requests) from shared_base), 0),
        (select count(distinct month) from shared_base),
        'part du partenaire dans les demandes des espaces-mois qui envoient total et ventilation',
        (select bool_or(is_synthetic) from shared_base)
    from figures
    inner join partner_requests
        on figures.scope = 'partner:' || partner_requests.partner_code
    where figures.figure_code = 'accompaniment_share'
)

select
    figures.figure_code,
    figures.scope,
    figures.period_start,
    figures.period_end,
    figures.unit,
    figures.value as official_value,
    computed.feed_value,
    computed.feed_months,
    computed.feed_value - figures.value as difference,
    computed.feed_value / nullif(figures.value, 0) as ratio_feed_to_official,
    computed.method,
    figures.source_document,
    figures.source_date,
    figures.note as official_note,
    computed.is_synthetic
from figures
inner join computed
    on computed.figure_code = figures.figure_code
    and computed.scope = figures.scope
    and computed.period_start is not distinct from figures.period_start
    and computed.period_end is not distinct from figures.period_end
where computed.feed_value is not null
order by figures.figure_code, figures.scope, figures.period_start;

comment on table marts.footfall_reconciliation is 'Chiffres nationaux publiés (core.official_figures) comparés aux totaux du flux de fréquentation pour la même mesure, quand les deux existent. ATTENTION : is_synthetic = vrai signale un flux SYNTHÉTIQUE (inventé) : l''écart ne dit alors rien du réseau réel.';
comment on column marts.footfall_reconciliation.figure_code is 'Code du chiffre publié.';
comment on column marts.footfall_reconciliation.scope is 'Champ du chiffre publié (national… ou partner:<code>).';
comment on column marts.footfall_reconciliation.period_start is 'Début de la période du chiffre publié ; vide si non citée.';
comment on column marts.footfall_reconciliation.period_end is 'Fin de la période du chiffre publié ; vide si non citée.';
comment on column marts.footfall_reconciliation.unit is 'Unité.';
comment on column marts.footfall_reconciliation.official_value is 'Valeur publiée.';
comment on column marts.footfall_reconciliation.feed_value is 'Valeur calculée sur le flux de fréquentation.';
comment on column marts.footfall_reconciliation.feed_months is 'Mois du flux pris en compte.';
comment on column marts.footfall_reconciliation.difference is 'Valeur du flux moins valeur publiée.';
comment on column marts.footfall_reconciliation.ratio_feed_to_official is 'Rapport valeur du flux / valeur publiée.';
comment on column marts.footfall_reconciliation.method is 'Comment la valeur du flux est calculée.';
comment on column marts.footfall_reconciliation.source_document is 'Document source du chiffre publié.';
comment on column marts.footfall_reconciliation.source_date is 'Date du document source.';
comment on column marts.footfall_reconciliation.official_note is 'Précisions de la source (approximation, borne, période).';
comment on column marts.footfall_reconciliation.is_synthetic is 'Vrai si la valeur du flux vient de chiffres SYNTHÉTIQUES (inventés).';
