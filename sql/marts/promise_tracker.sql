-- marts.promise_tracker: one row per promise (core.promises, cited reference data), judged on
-- the measures of marts.promise_measures (every number from the warehouse) and set beside the
-- nearest published official figure (core.official_figures). Built by warehouse/promises.py
-- after marts.promise_measures.
--
-- Verdict rules:
--   - the promise is judged on the first measure on or after its deadline (target_on); with no
--     deadline, or no measure yet on or after it, on the latest measure (source_rank breaks
--     ties: the official series first)
--   - met: the judged value reaches the target (>=)
--   - not met: it does not, and it is dated on or after the deadline (or, with no deadline, on
--     or after the promise's own date)
--   - not measurable from open data yet: no open data measures it (why_not_measurable says
--     why), its source is not loaded yet, or every measure predates the deadline (or the
--     promise) and falls short
create schema if not exists marts;

-- The same macro as in promise_measures.sql, so that this model also runs on its own.
create or replace temp macro fr_number(v) as
    case
        when v is null then '—'
        when v = round(v) then replace(format('{:,}', v::bigint), ',', ' ')
        else replace(replace(replace(format('{:,.2f}', v), ',', '_'), '.', ','), '_', ' ')
    end;

create or replace table marts.promise_tracker as

with

measures as (
    select
        promises.promise_code,
        promises.target,
        measures.*
    from core.promises as promises
    inner join marts.promise_measures as measures
        on measures.measure = promises.measure
),

latest as (
    select * from measures
    qualify row_number() over (
        partition by promise_code order by measured_on desc, source_rank
    ) = 1
),

first_after_deadline as (
    select measures.* from measures
    inner join core.promises as promises using (promise_code)
    where promises.target_on is not null and measures.measured_on >= promises.target_on
    qualify row_number() over (
        partition by measures.promise_code order by measures.measured_on, measures.source_rank
    ) = 1
),

summary as (
    select
        promise_code,
        count(*) as n_measures,
        min(measured_on) as first_measured_on,
        arg_min(value, (measured_on, source_rank)) as first_value,
        min(measured_on) filter (where value >= target) as met_since,
        arg_min(value, (measured_on, source_rank)) filter (where value >= target)
            as met_since_value
    from measures
    group by promise_code
),

official as (
    select * from core.official_figures
    where scope like 'national%'
    qualify row_number() over (
        partition by figure_code order by source_date desc, period_end desc nulls last
    ) = 1
),

judged as (
    select
        promises.*,
        latest.value as measured_value,
        latest.measured_on,
        latest.source,
        latest.source_table,
        latest.detail as measured_detail,
        coalesce(deadline.value, latest.value) as judged_value,
        coalesce(deadline.measured_on, latest.measured_on) as judged_on,
        coalesce(deadline.source, latest.source) as judged_source,
        summary.n_measures,
        summary.first_measured_on,
        summary.first_value,
        summary.met_since,
        summary.met_since_value,
        official.value as official_value,
        official.unit as official_unit,
        coalesce(official.period_end, official.source_date) as official_on,
        official.source_document as official_source
    from core.promises as promises
    left join latest using (promise_code)
    left join first_after_deadline as deadline using (promise_code)
    left join summary using (promise_code)
    left join official
        on official.figure_code = promises.official_figure_code
),

verdicts as (
    select
        *,
        case
            when judged_value is null or target is null then 'not measurable from open data yet'
            when judged_value >= target then 'met'
            when judged_on >= coalesce(target_on, document_date) then 'not met'
            else 'not measurable from open data yet'
        end as verdict
    from judged
)

select
    promise_code,
    position,
    promise,
    promised_by,
    document_title,
    document_date as promised_on,
    document_url,
    target,
    target_unit,
    target_on,
    measured_value,
    measured_on,
    source,
    source_table,
    measured_detail,
    judged_value,
    judged_on,
    verdict,
    case
        when verdict = 'met' then format(
            '{} {} au {} ({}) ; objectif : {} {}{}.',
            fr_number(judged_value), target_unit, judged_on, judged_source, fr_number(target),
            target_unit, coalesce(' au ' || target_on, '')
        )
        when verdict = 'not met' then format(
            '{} {} au {} ({}) ; objectif : {} {}{}{}.',
            fr_number(judged_value), target_unit, judged_on, judged_source, fr_number(target),
            target_unit, coalesce(' au ' || target_on, ''),
            case
                when met_since is not null and met_since > judged_on
                    then format(
                        ' ; objectif atteint à une mesure ultérieure : {} au {} (dernière : {} au {})',
                        fr_number(met_since_value), met_since, fr_number(measured_value),
                        measured_on
                    )
                else ''
            end
        )
        when measure is null then why_not_measurable
        when judged_value is null then format(
            'Aucune mesure chargée : la source de la série {} n''est pas encore dans l''entrepôt.',
            measure
        )
        else format(
            'La dernière donnée ouverte chargée ({} {} au {}) précède {} : elle ne tranche pas.',
            fr_number(judged_value), target_unit, judged_on,
            case when target_on is null then 'la promesse' else 'l''échéance du ' || target_on end
        )
    end as verdict_reason,
    n_measures,
    first_measured_on,
    first_value,
    met_since,
    official_value,
    official_unit,
    official_on,
    official_source,
    note
from verdicts
order by position;

comment on table marts.promise_tracker is 'Suivi des promesses du réseau France services : pour chaque promesse (qui l''a faite, quand, dans quel document), la dernière valeur mesurée avec sa date et sa source, la valeur à l''échéance, le chiffre officiel publié le plus proche et un verdict : tenue (met), non tenue (not met) ou pas encore mesurable avec les données ouvertes (not measurable from open data yet), avec sa raison.';
comment on column marts.promise_tracker.promise_code is 'Code stable de la promesse.';
comment on column marts.promise_tracker.position is 'Rang d''affichage.';
comment on column marts.promise_tracker.promise is 'La promesse, en clair.';
comment on column marts.promise_tracker.promised_by is 'Qui l''a faite (ou rapportée).';
comment on column marts.promise_tracker.document_title is 'Document qui l''établit : émetteur et titre.';
comment on column marts.promise_tracker.promised_on is 'Date du document (premier jour du mois quand le jour n''est pas cité).';
comment on column marts.promise_tracker.document_url is 'Lien vers le document, s''il est connu.';
comment on column marts.promise_tracker.target is 'Valeur promise ; vide si la promesse n''est pas chiffrée.';
comment on column marts.promise_tracker.target_unit is 'Unité de la valeur promise et des mesures.';
comment on column marts.promise_tracker.target_on is 'Échéance de la promesse ; vide si aucune n''est citée.';
comment on column marts.promise_tracker.measured_value is 'Dernière valeur mesurée (marts.promise_measures) ; vide si aucune.';
comment on column marts.promise_tracker.measured_on is 'Date de la dernière mesure.';
comment on column marts.promise_tracker.source is 'Source de la dernière mesure.';
comment on column marts.promise_tracker.source_table is 'Table de l''entrepôt dont vient la dernière mesure.';
comment on column marts.promise_tracker.measured_detail is 'Détail de la dernière mesure.';
comment on column marts.promise_tracker.judged_value is 'Valeur sur laquelle le verdict est rendu : la première mesure à l''échéance ou après, à défaut la dernière.';
comment on column marts.promise_tracker.judged_on is 'Date de cette valeur.';
comment on column marts.promise_tracker.verdict is 'Verdict : met (tenue), not met (non tenue) ou not measurable from open data yet (pas encore mesurable avec les données ouvertes).';
comment on column marts.promise_tracker.verdict_reason is 'Pourquoi ce verdict, en clair, avec les chiffres qui le fondent.';
comment on column marts.promise_tracker.n_measures is 'Nombre de mesures connues (dates × sources).';
comment on column marts.promise_tracker.first_measured_on is 'Date de la première mesure connue.';
comment on column marts.promise_tracker.first_value is 'Valeur de la première mesure connue (tendance : à comparer à measured_value).';
comment on column marts.promise_tracker.met_since is 'Première date où une mesure atteint l''objectif ; vide si jamais.';
comment on column marts.promise_tracker.official_value is 'Chiffre officiel publié le plus proche (core.official_figures), le plus récent ; il ne mesure pas forcément la même chose.';
comment on column marts.promise_tracker.official_unit is 'Unité du chiffre officiel.';
comment on column marts.promise_tracker.official_on is 'Date du chiffre officiel (fin de la période mesurée, à défaut date du document).';
comment on column marts.promise_tracker.official_source is 'Document qui publie le chiffre officiel.';
comment on column marts.promise_tracker.note is 'Précisions sur la promesse et sa mesure.';
