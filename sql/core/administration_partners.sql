-- core.administration_partners: administration names as the démarches observatory writes
-- them, mapped to a partner; an administration absent here is not a partner (never guessed).
create schema if not exists core;

create table if not exists core.administration_partners (
    administration varchar not null,
    administration_normalised varchar primary key,
    partner_code varchar not null,
    note varchar,
    load_id bigint not null
);

comment on table core.administration_partners is 'Correspondance entre les administrations de l''observatoire des démarches en ligne et les partenaires France services.';
comment on column core.administration_partners.administration is 'Nom ou identifiant de l''administration tel que l''observatoire l''écrit.';
comment on column core.administration_partners.administration_normalised is 'Clé de comparaison : minuscules, sans accents, sans espaces ni ponctuation.';
comment on column core.administration_partners.partner_code is 'Code du partenaire France services correspondant.';
comment on column core.administration_partners.note is 'Précision sur la correspondance.';
comment on column core.administration_partners.load_id is 'Chargement (meta.loads) qui a publié cette correspondance.';
