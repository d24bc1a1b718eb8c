-- core.partner_services: the services each partner offers, per theme, as cited.
create schema if not exists core;

create table if not exists core.partner_services (
    partner_code varchar not null,
    service_code varchar primary key,
    service_label varchar,
    theme varchar not null,
    effective_from date not null,
    effective_to date,
    source_document varchar not null,
    source_date date not null,
    extra json,
    load_id bigint not null
);

comment on table core.partner_services is 'Services offerts par chaque partenaire France services, par thème du bouquet de services (données de référence citées).';
comment on column core.partner_services.partner_code is 'Code du partenaire (core.partners).';
comment on column core.partner_services.service_code is 'Code unique du service (<PARTENAIRE>.<thème>).';
comment on column core.partner_services.service_label is 'Libellé du service.';
comment on column core.partner_services.theme is 'Code du thème du bouquet de services.';
comment on column core.partner_services.effective_from is 'Premier jour où le service est offert.';
comment on column core.partner_services.effective_to is 'Dernier jour où le service est offert ; vide s''il l''est toujours.';
comment on column core.partner_services.source_document is 'Document source qui établit la ligne.';
comment on column core.partner_services.source_date is 'Date du document source.';
comment on column core.partner_services.extra is 'Colonnes du fichier que le modèle ne connaît pas, en JSON.';
comment on column core.partner_services.load_id is 'Chargement (meta.loads) qui a publié ce catalogue.';
