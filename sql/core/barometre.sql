-- core.barometre: the official monthly series of the Baromètre des résultats de l'action
-- publique (Etalab / DINUM) for France services, one row per indicator, territory and month
-- end. A load replaces the series in force for each (indicator, level) it brings
-- (warehouse/barometre.py, publish_series); the files stay in the raw archive.
create schema if not exists core;

create table if not exists core.barometre (
    indicator_id varchar not null,
    level varchar not null,
    code varchar not null,
    label varchar,
    date date not null,
    value double not null,
    unit varchar,
    measure varchar,
    indicator_label varchar,
    source_file varchar,
    source_row bigint,
    quality_flags varchar[],
    load_id bigint not null,
    primary key (indicator_id, level, code, date)
);

comment on table core.barometre is 'Série officielle du Baromètre des résultats de l''action publique (Etalab / DINUM, data.gouv.fr) pour France services : nombre cumulé de labellisations à chaque fin de mois, pour la France, chaque région et chaque département (janvier 2020 à décembre 2022).';
comment on column core.barometre.indicator_id is 'Identifiant de l''indicateur du baromètre (id_indicateur), ici nb-labellisations-france-services.';
comment on column core.barometre.level is 'Maille : france, region ou departement.';
comment on column core.barometre.code is 'Code du territoire : FR pour la France, code INSEE de la région (2 chiffres) ou du département (01…95, 2A, 2B, 971…976).';
comment on column core.barometre.label is 'Nom du territoire tel que publié.';
comment on column core.barometre.date is 'Date de la valeur (fin de mois).';
comment on column core.barometre.value is 'Valeur publiée : nombre cumulé de labellisations à cette date.';
comment on column core.barometre.unit is 'Unité publiée (labellisations).';
comment on column core.barometre.measure is 'Mesure gouvernementale à laquelle l''indicateur se rattache (espace final retiré).';
comment on column core.barometre.indicator_label is 'Libellé de l''indicateur tel que publié.';
comment on column core.barometre.source_file is 'Fichier publié dont vient la ligne.';
comment on column core.barometre.source_row is 'Ligne du fichier publié (1 = en-tête).';
comment on column core.barometre.quality_flags is 'Règles d''avertissement enfreintes par la ligne (suite expectations/barometre.json), par exemple cumulative_not_decreasing.';
comment on column core.barometre.load_id is 'Chargement (meta.loads) qui a publié la ligne.';
