-- core.official_figures: the national aggregates published in reports (Sénat, Cour des
-- comptes), each citing its document; the only public footfall figures.
create schema if not exists core;

create table if not exists core.official_figures (
    figure_code varchar not null,
    period_start date,
    period_end date,
    value double not null,
    unit varchar not null,
    scope varchar not null,
    source_document varchar not null,
    source_date date not null,
    note varchar,
    load_id bigint not null
);

comment on table core.official_figures is 'Chiffres nationaux publiés sur le réseau et sa fréquentation (rapports du Sénat et de la Cour des comptes), chacun cité.';
comment on column core.official_figures.figure_code is 'Code du chiffre (requests_per_year, accompaniment_share…).';
comment on column core.official_figures.period_start is 'Début de la période mesurée ; vide si la source ne la donne pas.';
comment on column core.official_figures.period_end is 'Fin de la période mesurée ; vide si la source ne la donne pas.';
comment on column core.official_figures.value is 'Valeur publiée (arrondie comme la source ; les approximations sont qualifiées dans note).';
comment on column core.official_figures.unit is 'Unité de la valeur.';
comment on column core.official_figures.scope is 'Champ : national… ou partner:<code> pour une part par opérateur.';
comment on column core.official_figures.source_document is 'Document source.';
comment on column core.official_figures.source_date is 'Date du document source.';
comment on column core.official_figures.note is 'Précisions : approximation, borne, période non citée.';
comment on column core.official_figures.load_id is 'Chargement (meta.loads) qui a publié ces chiffres.';
