-- core.promises: the promises the network is measured against (fsdata/reference/promises.csv),
-- each citing its document. Replaced as a whole by warehouse/promises.py at every rebuild of
-- the promise tracker.
create schema if not exists core;

create table if not exists core.promises (
    promise_code varchar primary key,
    position integer not null,
    promise varchar not null,
    promised_by varchar not null,
    document_title varchar not null,
    document_date date not null,
    document_url varchar,
    target double,
    target_unit varchar,
    target_on date,
    measure varchar,
    official_figure_code varchar,
    why_not_measurable varchar,
    note varchar
);

comment on table core.promises is 'Promesses auxquelles le réseau France services est confronté (article d''Acteurs Publics de février 2022, Baromètre des résultats de l''action publique), chacune citant son document : émetteur, titre, date, lien s''il est connu.';
comment on column core.promises.promise_code is 'Code stable de la promesse.';
comment on column core.promises.position is 'Rang de la promesse dans le fichier de référence (ordre d''affichage).';
comment on column core.promises.promise is 'La promesse, en clair.';
comment on column core.promises.promised_by is 'Qui l''a faite (ou rapportée).';
comment on column core.promises.document_title is 'Document qui l''établit : émetteur et titre.';
comment on column core.promises.document_date is 'Date du document (premier jour du mois quand le jour n''est pas cité).';
comment on column core.promises.document_url is 'Lien vers le document, s''il est connu.';
comment on column core.promises.target is 'Valeur promise ; vide si la promesse n''est pas chiffrée.';
comment on column core.promises.target_unit is 'Unité de la valeur promise.';
comment on column core.promises.target_on is 'Échéance de la promesse ; vide si aucune n''est citée.';
comment on column core.promises.measure is 'Série de marts.promise_measures qui la mesure ; vide si aucune donnée ouverte ne la mesure.';
comment on column core.promises.official_figure_code is 'Chiffre officiel le plus proche dans core.official_figures (figure_code), s''il y en a un.';
comment on column core.promises.why_not_measurable is 'Pourquoi aucune donnée ouverte ne la mesure, le cas échéant.';
comment on column core.promises.note is 'Précisions : dates approchées, mesure indirecte, jugement propre au projet.';
