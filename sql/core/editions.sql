-- One row per observatory edition in force: its date and label, the file it was loaded from,
-- and what it holds.
create schema if not exists core;

create or replace table core.editions as
with in_force as (
    select as_of, load_id from meta.snapshots where source = 'observatoire'
),

editions as (
    select raw.* from raw.observatoire_editions as raw
    inner join in_force using (load_id)
),

demarches as (
    select load_id, count(*) as n_demarches
    from staging.observatoire_demarches
    group by all
),

cells as (
    select
        load_id,
        count(distinct indicator) as n_indicators,
        count(*) filter (where value_num is not null or value_text is not null) as n_values,
        count(*) filter (where null_reason is not null) as n_null_values
    from staging.observatoire_indicators
    group by all
),

quarantine as (
    select
        load_id,
        count(*) filter (where rule = 'value_decoded') as n_quarantined_cells,
        count(*) filter (where rule <> 'value_decoded') as n_quarantined_demarches
    from meta.quarantine
    where source = 'observatoire'
    group by all
),

loads as (
    select load_id, finished_at as loaded_at from meta.loads
)

select
    editions.edition_id,
    editions.edition_date,
    editions.data_period,
    editions.label,
    editions.generation,
    editions.number,
    editions.source_file,
    editions.sha256,
    editions.load_id,
    loads.loaded_at,
    coalesce(demarches.n_demarches, 0) as n_demarches,
    coalesce(cells.n_indicators, 0) as n_indicators,
    coalesce(cells.n_values, 0) as n_values,
    coalesce(cells.n_null_values, 0) as n_null_values,
    coalesce(quarantine.n_quarantined_cells, 0) as n_quarantined_cells,
    coalesce(quarantine.n_quarantined_demarches, 0) as n_quarantined_demarches,
    editions.unknown_columns
from editions
left join demarches using (load_id)
left join cells using (load_id)
left join quarantine using (load_id)
left join loads using (load_id)
order by editions.edition_date;

comment on table core.editions is 'Éditions de l''Observatoire de la qualité des démarches en ligne chargées dans l''entrepôt : une ligne par édition (le dernier fichier chargé pour une édition la remplace).';
comment on column core.editions.edition_id is 'Identifiant de l''édition, AAAA-MM (mois de publication).';
comment on column core.editions.edition_date is 'Date de l''édition : premier jour de son mois de publication.';
comment on column core.editions.data_period is 'Période couverte par les données de l''édition, AAAA-Qn (trimestre : « T3-25 » dans le nom de la feuille donne 2025-Q3), vide quand le fichier ne la nomme pas.';
comment on column core.editions.label is 'Libellé de l''édition, par exemple « Édition 11 — octobre 2025 ».';
comment on column core.editions.generation is 'Génération de l''observatoire : v1 (éditions trimestrielles 2019–2022) ou v2 (éditions numérotées depuis 2023).';
comment on column core.editions.number is 'Numéro de l''édition (v2), vide pour la v1.';
comment on column core.editions.source_file is 'Nom du fichier source chargé.';
comment on column core.editions.sha256 is 'Empreinte SHA-256 du fichier source (archivé sous raw/observatoire/).';
comment on column core.editions.load_id is 'Chargement (meta.loads) dont proviennent les données de l''édition.';
comment on column core.editions.loaded_at is 'Date et heure du chargement.';
comment on column core.editions.n_demarches is 'Nombre de démarches publiées dans l''édition (hors démarches mises en quarantaine).';
comment on column core.editions.n_indicators is 'Nombre d''indicateurs distincts présents dans l''édition.';
comment on column core.editions.n_values is 'Nombre de valeurs renseignées (numériques ou codées).';
comment on column core.editions.n_null_values is 'Nombre de cellules sans valeur (à venir, non applicable, avis insuffisants, non renseigné, valeur inconnue).';
comment on column core.editions.n_quarantined_cells is 'Cellules à valeur inconnue mises en quarantaine (règle value_decoded, table meta.quarantine).';
comment on column core.editions.n_quarantined_demarches is 'Lignes de démarches rejetées et mises en quarantaine (par exemple sans intitulé).';
comment on column core.editions.unknown_columns is 'Colonnes du fichier source non reconnues, conservées dans le champ extra des démarches.';
