-- Per edition, the main figures of the observatory, for all démarches and per ministry and per
-- administration. Definitions (each share counts only the démarches with a value for that
-- indicator in the edition, so « À venir » or « Non applicable » neither help nor hurt):
-- - share_online: online_status = 'oui' (fully online; partiel, en cours de déploiement local,
--   non and démarche proactive are not counted as fully online);
-- - share_accessible: accessibility_rate at 100 % (a rate of 100 or « Oui »), among démarches
--   with a rate or a word (Oui / Partiel / Non);
-- - share_franceconnect: franceconnect or franceconnect_plus, among démarches with a value;
-- - share_compliance_full / _partial / _none: accessibility compliance (indicator handicap) by
--   level — green (Totale, or Oui in older editions), orange (Partielle / Partiel), red (Non
--   conforme / Non) — among the démarches with a level (n_compliance);
-- - share_declaration_expired: accessibility declarations marked « (périmée) » (level red)
--   among the démarches with a declaration date (n_declaration);
-- - medians over the démarches with a value (the mean of the two middle values for an even count).
create schema if not exists marts;

create or replace table marts.demarche_indicator_trends as
with cells as (
    select * from core.demarche_indicators
),

demarches as (
    select
        demarches.edition_id,
        demarches.demarche_id,
        demarches.ministry,
        coalesce(demarches.administration_id, 'non_referencee') as administration_id
    from staging.observatoire_demarches as demarches
),

wide as (
    select
        demarches.edition_id,
        demarches.demarche_id,
        demarches.ministry,
        demarches.administration_id,
        max(cells.value_text) filter (where cells.indicator = 'online_status') as online_status,
        max(cells.value_num) filter (where cells.indicator = 'satisfaction') as satisfaction,
        max(cells.value_num) filter (where cells.indicator = 'clarity') as clarity,
        max(cells.value_num) filter (where cells.indicator = 'help_efficiency')
            as help_efficiency,
        max(cells.value_num) filter (where cells.indicator = 'help_reachable') as help_reachable,
        max(cells.value_num) filter (where cells.indicator = 'digital_uptake') as digital_uptake,
        bool_or(cells.value_num is not null or cells.value_text is not null)
            filter (where cells.indicator = 'accessibility_rate') as accessibility_known,
        bool_or(cells.value_num >= 100) filter (where cells.indicator = 'accessibility_rate')
            as accessible,
        max(cells.value_text) filter (where cells.indicator = 'franceconnect') as franceconnect,
        max(cells.value_num) filter (where cells.indicator = 'dlnuf') as dlnuf,
        max(cells.level) filter (where cells.indicator = 'handicap') as compliance,
        max(cells.value_num) filter (where cells.indicator = 'autonomy') as autonomy,
        max(cells.value_text) filter (where cells.indicator = 'accessibility_declaration_date')
            as declaration_date,
        bool_or(cells.level = 'red')
            filter (where cells.indicator = 'accessibility_declaration_date') as declaration_expired
    from demarches
    left join cells using (edition_id, demarche_id)
    group by all
),

scoped as (
    select 'ensemble' as scope, 'ensemble' as scope_id, * from wide
    union all by name
    select 'ministere' as scope, coalesce(ministry, 'non_renseigne') as scope_id, * from wide
    union all by name
    select 'administration' as scope, administration_id as scope_id, * from wide
),

figures as (
    select
        edition_id,
        scope,
        scope_id,
        count(*) as n_demarches,
        count(online_status) as n_online_status,
        round(100.0 * count(*) filter (where online_status = 'oui')
            / nullif(count(online_status), 0), 2) as share_online,
        count(satisfaction) as n_satisfaction,
        median(satisfaction) as median_satisfaction,
        median(clarity) as median_clarity,
        median(help_efficiency) as median_help_efficiency,
        median(help_reachable) as median_help_reachable,
        count(digital_uptake) as n_digital_uptake,
        median(digital_uptake) as median_digital_uptake,
        count(*) filter (where accessibility_known) as n_accessibility,
        round(100.0 * count(*) filter (where accessible)
            / nullif(count(*) filter (where accessibility_known), 0), 2) as share_accessible,
        count(franceconnect) as n_franceconnect,
        round(100.0 * count(*) filter (where franceconnect in ('franceconnect', 'franceconnect_plus'))
            / nullif(count(franceconnect), 0), 2) as share_franceconnect,
        round(100.0 * count(*) filter (where dlnuf <= 1)
            / nullif(count(dlnuf), 0), 2) as share_dlnuf_optimal,
        count(compliance) as n_compliance,
        round(100.0 * count(*) filter (where compliance = 'green')
            / nullif(count(compliance), 0), 2) as share_compliance_full,
        round(100.0 * count(*) filter (where compliance = 'orange')
            / nullif(count(compliance), 0), 2) as share_compliance_partial,
        round(100.0 * count(*) filter (where compliance = 'red')
            / nullif(count(compliance), 0), 2) as share_compliance_none,
        count(autonomy) as n_autonomy,
        median(autonomy) as median_autonomy,
        count(declaration_date) as n_declaration,
        round(100.0 * count(*) filter (where declaration_date is not null and declaration_expired)
            / nullif(count(declaration_date), 0), 2) as share_declaration_expired
    from scoped
    group by all
),

labelled as (
    select
        figures.edition_id,
        editions.edition_date,
        figures.scope,
        figures.scope_id,
        case figures.scope
            when 'ensemble' then 'Toutes les démarches'
            when 'administration' then coalesce(administrations.name, 'Administration non référencée')
            else figures.scope_id
        end as scope_label,
        figures.* exclude (edition_id, scope, scope_id)
    from figures
    inner join core.editions as editions using (edition_id)
    left join core.administrations as administrations
        on figures.scope = 'administration' and administrations.administration_id = figures.scope_id
)

select * from labelled
order by edition_date, scope, scope_id;

comment on table marts.demarche_indicator_trends is 'Indicateurs de l''Observatoire par édition, pour l''ensemble des démarches, par ministère et par administration. Les parts (en %) et les médianes ne portent que sur les démarches ayant une valeur pour l''indicateur.';
comment on column marts.demarche_indicator_trends.edition_id is 'Édition (AAAA-MM).';
comment on column marts.demarche_indicator_trends.edition_date is 'Date de l''édition (premier jour du mois).';
comment on column marts.demarche_indicator_trends.scope is 'Périmètre de la ligne : ensemble, ministere ou administration.';
comment on column marts.demarche_indicator_trends.scope_id is 'Ministère tel que publié dans l''édition, identifiant d''administration (non_referencee si absente du référentiel), ou « ensemble ».';
comment on column marts.demarche_indicator_trends.scope_label is 'Libellé lisible du périmètre.';
comment on column marts.demarche_indicator_trends.n_demarches is 'Nombre de démarches du périmètre dans l''édition.';
comment on column marts.demarche_indicator_trends.n_online_status is 'Démarches dont le statut en ligne est renseigné.';
comment on column marts.demarche_indicator_trends.share_online is 'Part (%) des démarches entièrement réalisables en ligne (statut « Oui ») parmi celles dont le statut est renseigné.';
comment on column marts.demarche_indicator_trends.n_satisfaction is 'Démarches ayant une note de satisfaction (au moins 100 avis).';
comment on column marts.demarche_indicator_trends.median_satisfaction is 'Médiane des notes de satisfaction des usagers (sur 10).';
comment on column marts.demarche_indicator_trends.median_clarity is 'Médiane des notes de clarté du langage (sur 10).';
comment on column marts.demarche_indicator_trends.median_help_efficiency is 'Médiane des notes d''efficacité de l''aide (sur 10).';
comment on column marts.demarche_indicator_trends.median_help_reachable is 'Médiane du taux d''aide joignable (%).';
comment on column marts.demarche_indicator_trends.n_digital_uptake is 'Démarches dont le taux de recours au numérique est renseigné.';
comment on column marts.demarche_indicator_trends.median_digital_uptake is 'Médiane du taux de recours au numérique (%).';
comment on column marts.demarche_indicator_trends.n_accessibility is 'Démarches dont l''accessibilité (taux RGAA ou Oui / Partiel / Non) est renseignée.';
comment on column marts.demarche_indicator_trends.share_accessible is 'Part (%) des démarches totalement accessibles (taux RGAA de 100 % ou « Oui ») parmi celles dont l''accessibilité est renseignée.';
comment on column marts.demarche_indicator_trends.n_franceconnect is 'Démarches dont l''identification FranceConnect est renseignée.';
comment on column marts.demarche_indicator_trends.share_franceconnect is 'Part (%) des démarches proposant FranceConnect ou FranceConnect+ parmi celles où l''information est renseignée.';
comment on column marts.demarche_indicator_trends.share_dlnuf_optimal is 'Part (%) des démarches au niveau optimal « dites-le-nous une fois » (0 ou 1 champ pré-remplissable non pré-rempli).';
comment on column marts.demarche_indicator_trends.n_compliance is 'Démarches dont la prise en compte du handicap (conformité d''accessibilité) est renseignée.';
comment on column marts.demarche_indicator_trends.share_compliance_full is 'Part (%) des démarches totalement conformes (« Totale », ou « Oui » dans les anciennes éditions) parmi celles dont la conformité est renseignée.';
comment on column marts.demarche_indicator_trends.share_compliance_partial is 'Part (%) des démarches partiellement conformes (« Partielle » ou « Partiel ») parmi celles dont la conformité est renseignée.';
comment on column marts.demarche_indicator_trends.share_compliance_none is 'Part (%) des démarches non conformes (« Non conforme » ou « Non ») parmi celles dont la conformité est renseignée.';
comment on column marts.demarche_indicator_trends.n_autonomy is 'Démarches ayant un niveau d''autonomie.';
comment on column marts.demarche_indicator_trends.median_autonomy is 'Médiane du niveau d''autonomie (%, publié comme taux 0–1).';
comment on column marts.demarche_indicator_trends.n_declaration is 'Démarches ayant une date de publication de déclaration d''accessibilité.';
comment on column marts.demarche_indicator_trends.share_declaration_expired is 'Part (%) des déclarations d''accessibilité marquées « périmée » parmi les démarches ayant une date de déclaration.';
