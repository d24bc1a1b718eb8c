-- core.observatory_administration_partners: each administration met in the démarches
-- observatory, with the partner it maps to (administration_partners first, then the partner
-- aliases); partner_code null = not a France services partner, or a name nobody mapped.
create schema if not exists core;

create table if not exists core.observatory_administration_partners (
    administration_id varchar,
    administration varchar,
    partner_code varchar,
    matched_on varchar
);

comment on table core.observatory_administration_partners is 'Administrations rencontrées dans l''observatoire des démarches en ligne et le partenaire France services auquel chacune correspond ; vide si aucun (jamais deviné).';
comment on column core.observatory_administration_partners.administration_id is 'Identifiant de l''administration dans l''observatoire (vide si son nom n''est pas reconnu).';
comment on column core.observatory_administration_partners.administration is 'Nom de l''administration tel que publié.';
comment on column core.observatory_administration_partners.partner_code is 'Code du partenaire France services ; vide si l''administration n''en est pas un ou n''est pas rapprochée.';
comment on column core.observatory_administration_partners.matched_on is 'Comment la correspondance a été trouvée : administration_id ou administration (nom) ; vide sans correspondance.';
