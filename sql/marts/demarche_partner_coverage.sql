-- The promise tracker ("every online démarche can be handled in a France services"): per
-- observatory edition, how many Top-250 démarches belong to an administration that is a France
-- services partner, in number and weighted by online volume. Created empty here; filled by
-- demarche_partner_coverage__refresh.sql from the observatory tables.
create schema if not exists marts;

create or replace table marts.demarche_partner_coverage (
    edition_id varchar not null,
    edition_date date,
    n_demarches bigint not null,
    n_covered bigint not null,
    share_covered double,
    n_demarches_with_volume bigint not null,
    volume_online_total double,
    volume_online_covered double,
    share_covered_by_volume double,
    n_administrations bigint not null,
    n_administrations_covered bigint not null,
    n_demarches_administration_unknown bigint not null
);

comment on table marts.demarche_partner_coverage is 'Suivi de la promesse « toute démarche en ligne peut être accompagnée en France services » : par édition de l''observatoire, part des démarches du Top 250 dont l''administration est partenaire France services, en nombre et pondérée par le volume en ligne. Vide tant que l''observatoire n''est pas chargé.';
comment on column marts.demarche_partner_coverage.edition_id is 'Édition de l''observatoire (AAAA-MM).';
comment on column marts.demarche_partner_coverage.edition_date is 'Date de l''édition.';
comment on column marts.demarche_partner_coverage.n_demarches is 'Démarches de l''édition.';
comment on column marts.demarche_partner_coverage.n_covered is 'Démarches dont l''administration correspond à un partenaire France services.';
comment on column marts.demarche_partner_coverage.share_covered is 'Part des démarches couvertes, en % (0-100).';
comment on column marts.demarche_partner_coverage.n_demarches_with_volume is 'Démarches dont le volume en ligne est publié dans l''édition.';
comment on column marts.demarche_partner_coverage.volume_online_total is 'Volume de démarches en ligne (indicateur volume_online) de toutes les démarches qui le publient.';
comment on column marts.demarche_partner_coverage.volume_online_covered is 'Dont volume en ligne des démarches couvertes.';
comment on column marts.demarche_partner_coverage.share_covered_by_volume is 'Part du volume en ligne couverte, en % (0-100) ; vide si aucun volume n''est publié.';
comment on column marts.demarche_partner_coverage.n_administrations is 'Administrations distinctes des démarches de l''édition (par identifiant, sinon par nom publié).';
comment on column marts.demarche_partner_coverage.n_administrations_covered is 'Dont administrations partenaires France services.';
comment on column marts.demarche_partner_coverage.n_demarches_administration_unknown is 'Démarches dont l''administration n''est pas reconnue par l''observatoire (non couvertes, listées dans marts.demarche_uncovered_administrations).';
