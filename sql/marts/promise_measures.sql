-- marts.promise_measures: every measured value a promise is judged on, one row per series,
-- date and source. Created empty here; each promise_measures__<series>.sql adds one series
-- when its input table exists (warehouse/promises.py declares which table each one reads).
create schema if not exists marts;

-- A number written the French way (2 538 ; 99,69), for the detail and verdict texts.
create or replace temp macro fr_number(v) as
    case
        when v is null then '—'
        when v = round(v) then replace(format('{:,}', v::bigint), ',', ' ')
        else replace(replace(replace(format('{:,.2f}', v), ',', '_'), '.', ','), '_', ' ')
    end;

create or replace table marts.promise_measures (
    measure varchar not null,
    measured_on date not null,
    value double not null,
    unit varchar not null,
    source varchar not null,
    source_rank integer not null,
    source_table varchar not null,
    detail varchar
);

comment on table marts.promise_measures is 'Mesures des promesses du réseau France services dans le temps : une ligne par série, date et source, calculée depuis les tables de l''entrepôt (aucun chiffre saisi à la main).';
comment on column marts.promise_measures.measure is 'Série mesurée (core.promises.measure).';
comment on column marts.promise_measures.measured_on is 'Date de la mesure.';
comment on column marts.promise_measures.value is 'Valeur mesurée.';
comment on column marts.promise_measures.unit is 'Unité de la valeur.';
comment on column marts.promise_measures.source is 'Source de la mesure : document ou jeu de données, avec son producteur.';
comment on column marts.promise_measures.source_rank is 'Priorité de la source à date égale : 1 pour la série officielle, 2 pour une mesure de ce projet.';
comment on column marts.promise_measures.source_table is 'Table de l''entrepôt dont vient la mesure.';
comment on column marts.promise_measures.detail is 'Détail de la mesure (effectifs, seuils voisins).';
