-- core.partners: the France services partner catalogue in force (reference data kept in the
-- repository or the user's file), replaced as a whole by each published catalogue load.
create schema if not exists core;

create table if not exists core.partners (
    partner_code varchar primary key,
    name varchar not null,
    former_names varchar[],
    aliases varchar[],
    themes varchar[],
    effective_from date not null,
    effective_to date,
    source_document varchar not null,
    source_date date not null,
    source_url varchar,
    note varchar,
    extra json,
    load_id bigint not null
);

comment on table core.partners is 'Catalogue des partenaires nationaux France services (données de référence, chaque ligne citant son document : émetteur, titre, date, lien s''il est connu) ; un changement de nom garde le code.';
comment on column core.partners.partner_code is 'Code stable du partenaire (inchangé lors d''un changement de nom).';
comment on column core.partners.name is 'Nom actuel du partenaire.';
comment on column core.partners.former_names is 'Anciens noms, chacun avec sa période (« Pôle emploi (until 2023) »).';
comment on column core.partners.aliases is 'Sigles et noms usuels reconnus pour ce partenaire.';
comment on column core.partners.themes is 'Codes des thèmes du bouquet de services couverts.';
comment on column core.partners.effective_from is 'Premier jour comme partenaire France services.';
comment on column core.partners.effective_to is 'Dernier jour comme partenaire ; vide s''il l''est toujours.';
comment on column core.partners.source_document is 'Document source qui établit la ligne.';
comment on column core.partners.source_date is 'Date du document source.';
comment on column core.partners.source_url is 'Lien vers le document source, s''il est connu.';
comment on column core.partners.note is 'Note libre : précision des dates, classements propres au projet.';
comment on column core.partners.extra is 'Colonnes du fichier que le modèle ne connaît pas, en JSON.';
comment on column core.partners.load_id is 'Chargement (meta.loads) qui a publié ce catalogue.';
