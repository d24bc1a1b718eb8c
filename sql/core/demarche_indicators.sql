-- Every indicator of every démarche in every edition in force, decoded. Vocabulary (see
-- transforms/observatoire/indicators.py INDICATORS): online_status, volume_total, volume_online,
-- digital_uptake, satisfaction, handicap, accessibility_rate, accessibility_declaration_date,
-- clarity, autonomy, help_reachable, help_efficiency, franceconnect, dlnuf, uptime,
-- response_time_ms. A cell whose value is unknown stays here with null_reason 'valeur_inconnue'
-- and no value; the cell itself is in meta.quarantine (rule value_decoded). Labels (« Oui »,
-- « Non conforme », « À venir »…) are described in transforms/reference/observatoire_labels.csv.
create schema if not exists core;

create or replace table core.demarche_indicators as
with source as (
    select * from staging.observatoire_indicators
),

editions as (
    select edition_id, edition_date from core.editions
),

renamed as (
    select
        source.edition_id,
        editions.edition_date,
        source.demarche_id,
        source.indicator,
        source.value_num,
        source.value_text,
        source.level,
        source.raw,
        source.null_reason,
        source.note,
        source.source_row,
        source.load_id
    from source
    inner join editions using (edition_id)
)

select * from renamed
order by edition_id, demarche_id, indicator;

comment on table core.demarche_indicators is 'Valeurs des indicateurs de l''Observatoire : une ligne par édition, démarche et indicateur, décodée (taux en pourcentage 0–100, notes sur 10, temps en millisecondes).';
comment on column core.demarche_indicators.edition_id is 'Édition (AAAA-MM).';
comment on column core.demarche_indicators.edition_date is 'Date de l''édition (premier jour du mois).';
comment on column core.demarche_indicators.demarche_id is 'Démarche (core.demarches).';
comment on column core.demarche_indicators.indicator is 'Indicateur : online_status (réalisable en ligne), volume_total, volume_online (volumétries annuelles), digital_uptake (recours au numérique, %), satisfaction (note /10), handicap (conformité d''accessibilité), accessibility_rate (taux d''audit RGAA, %), accessibility_declaration_date, clarity (clarté du langage, /10), autonomy (niveau d''autonomie, %), help_reachable (aide joignable, %), help_efficiency (aide efficace, /10), franceconnect, dlnuf (champs « dites-le-nous une fois »), uptime (disponibilité, %), response_time_ms (temps de chargement, ms).';
comment on column core.demarche_indicators.value_num is 'Valeur numérique, arrondie à 6 décimales : taux en pourcentage 0–100 (niveau d''autonomie compris), notes sur 10, temps en ms, volumes, nombre de champs DLNUF ; 100 pour une accessibilité « Oui ».';
comment on column core.demarche_indicators.value_text is 'Valeur codée : statut en ligne (oui, partiel, en_cours_deploiement_local, non, demarche_proactive), handicap (totale, partielle, non_conforme ; oui, partiel, non dans les anciennes éditions), accessibilité (oui, partiel), franceconnect (franceconnect, franceconnect_plus, non), date ISO, texte.';
comment on column core.demarche_indicators.level is 'Niveau selon les seuils de l''Observatoire : green (vert / optimal), orange (partiel), red (rouge / faible) ; pour la date de déclaration d''accessibilité, red = périmée, orange = bientôt périmée.';
comment on column core.demarche_indicators.raw is 'Texte de la cellule source, inchangé.';
comment on column core.demarche_indicators.null_reason is 'Raison de l''absence de valeur : a_venir, non_applicable, avis_insuffisants (moins de 100 avis), demarche_proactive (rien à demander à l''usager), sans_audit (taux RGAA « Non » : pas d''audit, ce n''est pas 0 %), non_renseigne, valeur_inconnue (cellule en quarantaine) ; jamais remplacée par 0.';
comment on column core.demarche_indicators.note is 'Précision : texte accompagnant une date (« périmée »), percent_scale_ambiguous quand l''échelle 0–1 / 0–100 de la colonne ne pouvait être déduite.';
comment on column core.demarche_indicators.source_row is 'Ligne du fichier source (1 = première ligne de la feuille).';
comment on column core.demarche_indicators.load_id is 'Chargement (meta.loads) dont provient la valeur.';
