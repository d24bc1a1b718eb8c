-- marts.france_services_lieux_matches: on the latest national file of lieux, the lieux
-- labelled « France Services » matched to the espaces of the listing open that day
-- (transforms/matching.py: same commune first, then name/address similarity and distance),
-- and the unmatched of both sides. Refilled by warehouse/mediation_marts.py (the table and
-- its descriptions are created once, here).
create schema if not exists marts;

create table if not exists marts.france_services_lieux_matches (
    as_of date,
    status varchar,
    lieu_id varchar,
    lieu_name varchar,
    lieu_insee_com varchar,
    espace_id varchar,
    espace_name varchar,
    espace_insee_com varchar,
    method varchar,
    name_similarity double,
    address_similarity double,
    distance_km double,
    score double
);

comment on table marts.france_services_lieux_matches is 'Lieux de médiation numérique étiquetés « France Services » rapprochés des espaces France services de la liste ouverts à la date du dernier fichier national des lieux ; les lieux et les espaces sans correspondance sont listés aussi.';
comment on column marts.france_services_lieux_matches.as_of is 'Date du fichier national des lieux (les espaces pris ouverts ce jour-là).';
comment on column marts.france_services_lieux_matches.status is 'matched (rapprochés), lieu_only (lieu sans espace correspondant) ou espace_only (espace sans lieu correspondant).';
comment on column marts.france_services_lieux_matches.lieu_id is 'Identifiant du lieu de médiation ; vide pour un espace sans correspondance.';
comment on column marts.france_services_lieux_matches.lieu_name is 'Nom du lieu de médiation.';
comment on column marts.france_services_lieux_matches.lieu_insee_com is 'Code INSEE de la commune du lieu.';
comment on column marts.france_services_lieux_matches.espace_id is 'Identifiant de l''espace France services ; vide pour un lieu sans correspondance.';
comment on column marts.france_services_lieux_matches.espace_name is 'Nom de l''espace France services.';
comment on column marts.france_services_lieux_matches.espace_insee_com is 'Code INSEE de la commune de l''espace.';
comment on column marts.france_services_lieux_matches.method is 'Rapprochement : commune (même commune) ou distance (communes différentes ou inconnues, à quelques kilomètres).';
comment on column marts.france_services_lieux_matches.name_similarity is 'Similarité des noms (0-1, sans accents ni mots génériques).';
comment on column marts.france_services_lieux_matches.address_similarity is 'Similarité des adresses (0-1).';
comment on column marts.france_services_lieux_matches.distance_km is 'Distance à vol d''oiseau entre le lieu et l''espace (km) ; vide si l''un n''a pas de coordonnées.';
comment on column marts.france_services_lieux_matches.score is 'Score du rapprochement (0-1) : 0,45 × noms + 0,35 × adresses + 0,2 × proximité.';
