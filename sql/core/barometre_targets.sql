-- core.barometre_targets: the target of each baromètre indicator, from the synthèse file
-- (cible, date_cible). Replaced per indicator by a load that brings the synthèse.
create schema if not exists core;

create table if not exists core.barometre_targets (
    indicator_id varchar not null,
    level varchar not null,
    code varchar not null,
    target_date date not null,
    target_value double not null,
    unit varchar,
    measure varchar,
    indicator_label varchar,
    source_file varchar,
    source_row bigint,
    load_id bigint not null,
    primary key (indicator_id, level, code, target_date)
);

comment on table core.barometre_targets is 'Cibles des indicateurs du Baromètre des résultats de l''action publique (fichier de synthèse, Etalab / DINUM) : pour France services, 2 543 labellisations au 31 décembre 2022.';
comment on column core.barometre_targets.indicator_id is 'Identifiant de l''indicateur du baromètre (id_indicateur).';
comment on column core.barometre_targets.level is 'Maille de la cible (france : la synthèse est nationale).';
comment on column core.barometre_targets.code is 'Code du territoire (FR pour la France).';
comment on column core.barometre_targets.target_date is 'Date à laquelle la cible doit être atteinte (date_cible).';
comment on column core.barometre_targets.target_value is 'Valeur cible publiée (cible).';
comment on column core.barometre_targets.unit is 'Unité publiée.';
comment on column core.barometre_targets.measure is 'Mesure gouvernementale à laquelle l''indicateur se rattache.';
comment on column core.barometre_targets.indicator_label is 'Libellé de l''indicateur tel que publié.';
comment on column core.barometre_targets.source_file is 'Fichier publié dont vient la cible.';
comment on column core.barometre_targets.source_row is 'Ligne du fichier publié (1 = en-tête).';
comment on column core.barometre_targets.load_id is 'Chargement (meta.loads) qui a publié la cible.';
