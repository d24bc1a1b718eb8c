-- The observatory's headline indicators across editions (all démarches).
create or replace view main.demarche_indicators_by_edition as
select edition_id, edition_date, n_demarches, share_online, median_satisfaction,
       share_accessible, share_franceconnect, share_dlnuf_optimal
from marts.demarche_indicator_trends
where scope = 'ensemble'
order by edition_date;

comment on view main.demarche_indicators_by_edition is 'Indicateurs de l''observatoire des démarches en ligne par édition, pour l''ensemble des démarches : part en ligne, satisfaction médiane, accessibilité, FranceConnect, Dites-le-nous une fois.';
