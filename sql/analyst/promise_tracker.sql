-- The promise tracker: Top-250 démarches covered by a France services partner, per edition.
create or replace view main.promise_tracker as
select edition_id, edition_date, n_demarches, n_covered, share_covered, share_covered_by_volume
from marts.demarche_partner_coverage
order by edition_date;

comment on view main.promise_tracker is 'Suivi de la promesse : par édition de l''observatoire, démarches du Top 250 dont l''administration est partenaire France services, en nombre et pondérées par le volume en ligne.';
