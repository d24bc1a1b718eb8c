-- The communes farthest from an open espace at the latest date, farthest first.
create or replace view main.communes_farthest as
select n.as_of, n.code_insee, c.name, c.dep_code, c.population, n.espace_id, n.distance_km
from core.commune_nearest_espace n
join core.communes c using (vintage, code_insee)
where n.as_of = (select max(as_of) from core.commune_nearest_espace)
order by n.distance_km desc, n.code_insee;

comment on view main.communes_farthest is 'Communes les plus éloignées d''un espace ouvert à la dernière date calculée (distance à vol d''oiseau depuis le centre de la commune), de la plus éloignée à la plus proche.';
