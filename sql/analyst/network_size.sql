-- Network size over time: espaces open at each snapshot date of the listing, France entière.
create or replace view main.network_size as
select as_of, sum(n_open) as espaces_open, sum(n_opened) as opened, sum(n_closed) as closed
from marts.network_by_departement
group by as_of
order by as_of;

comment on view main.network_size is 'Taille du réseau : espaces ouverts à chaque date d''instantané de la liste, ouvertures et fermetures depuis l''instantané précédent (France entière).';
