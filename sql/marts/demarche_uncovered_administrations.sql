-- The administrations whose démarches no France services partner covers, per observatory
-- edition, ranked by online volume: where the promise falls short. Created empty here; filled
-- by demarche_uncovered_administrations__refresh.sql from the observatory tables.
create schema if not exists marts;

create or replace table marts.demarche_uncovered_administrations (
    edition_id varchar not null,
    rank_by_volume bigint not null,
    administration_id varchar,
    administration varchar,
    administration_known boolean not null,
    n_demarches bigint not null,
    volume_online double,
    share_of_volume_online double
);

comment on table marts.demarche_uncovered_administrations is 'Administrations du Top 250 qui ne sont pas partenaires France services, par édition de l''observatoire, classées par volume en ligne ; les noms non reconnus sont listés tels quels, jamais devinés.';
comment on column marts.demarche_uncovered_administrations.edition_id is 'Édition de l''observatoire (AAAA-MM).';
comment on column marts.demarche_uncovered_administrations.rank_by_volume is 'Rang par volume en ligne décroissant (1 = le plus gros volume non couvert).';
comment on column marts.demarche_uncovered_administrations.administration_id is 'Identifiant de l''administration dans l''observatoire ; vide si son nom n''est pas reconnu.';
comment on column marts.demarche_uncovered_administrations.administration is 'Nom de l''administration tel que publié.';
comment on column marts.demarche_uncovered_administrations.administration_known is 'Faux si le nom publié n''est pas reconnu par la table de référence des administrations.';
comment on column marts.demarche_uncovered_administrations.n_demarches is 'Démarches de l''administration dans l''édition.';
comment on column marts.demarche_uncovered_administrations.volume_online is 'Volume en ligne cumulé de ces démarches (vide si aucun publié).';
comment on column marts.demarche_uncovered_administrations.share_of_volume_online is 'Part du volume en ligne de l''édition, en % (0-100).';
