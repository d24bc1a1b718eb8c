-- core.partner_aliases: every spelling that designates a partner (code, name, former names,
-- aliases), with its matching key; one key designates exactly one partner.
create schema if not exists core;

create table if not exists core.partner_aliases (
    alias_normalised varchar primary key,
    partner_code varchar not null,
    kind varchar not null,
    alias varchar not null,
    load_id bigint not null
);

comment on table core.partner_aliases is 'Noms reconnus de chaque partenaire (code, nom, anciens noms, sigles), avec leur clé de comparaison sans accents, casse ni ponctuation.';
comment on column core.partner_aliases.alias_normalised is 'Clé de comparaison : minuscules, sans accents, sans espaces ni ponctuation.';
comment on column core.partner_aliases.partner_code is 'Code du partenaire désigné.';
comment on column core.partner_aliases.kind is 'Nature du nom : code, name (nom actuel), former_name (ancien nom) ou alias.';
comment on column core.partner_aliases.alias is 'Le nom tel qu''écrit dans le catalogue.';
comment on column core.partner_aliases.load_id is 'Chargement (meta.loads) qui a publié ce catalogue.';
