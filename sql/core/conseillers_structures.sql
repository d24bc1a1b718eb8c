-- core.conseillers_structures: the host structures of conseillers numériques, one dataset per
-- as_of (a file loaded again for a date replaces that date's rows), as parsed by
-- transforms/conseillers.py.
create schema if not exists core;

create table if not exists core.conseillers_structures (
    as_of date not null,
    load_id bigint not null,
    source_row integer not null,
    structure_id varchar not null,
    name varchar,
    siret varchar,
    siren varchar,
    structure_type varchar,
    nb_conseillers integer not null,
    france_services boolean,
    france_services_label varchar,
    validation_date date,
    address varchar,
    commune varchar,
    insee_com varchar,
    postcode varchar,
    dep_code varchar not null,
    dep_code_geocoded varchar,
    reg_code varchar,
    zrr boolean,
    qpv boolean,
    state_investment_eur bigint,
    latitude double,
    longitude double,
    geocoder_score double,
    geocoder_label varchar,
    geocoded_manually boolean,
    quality_flags varchar[],
    primary key (as_of, structure_id)
);

comment on table core.conseillers_structures is 'Structures accueillant des conseillers numériques retenues par les comités de sélection (carte de l''ANCT), une ligne par structure et par date de publication.';
comment on column core.conseillers_structures.as_of is 'Date de publication du fichier.';
comment on column core.conseillers_structures.load_id is 'Chargement (meta.loads) qui a apporté ces lignes.';
comment on column core.conseillers_structures.source_row is 'Rang de la structure dans le fichier publié (à partir de 1).';
comment on column core.conseillers_structures.structure_id is 'Identifiant de la structure dans le fichier publié.';
comment on column core.conseillers_structures.name is 'Raison sociale ; vide quand le fichier ne publie qu''un « 0 ».';
comment on column core.conseillers_structures.siret is 'SIRET publié ; vide quand il est absent.';
comment on column core.conseillers_structures.siren is 'SIREN (9 premiers chiffres du SIRET).';
comment on column core.conseillers_structures.structure_type is 'Type de structure : publique ou privée.';
comment on column core.conseillers_structures.nb_conseillers is 'Nombre de conseillers numériques attribués à la structure (nb_cnfs).';
comment on column core.conseillers_structures.france_services is 'Structure France services : vrai (oui), faux (non), vide (non renseigné).';
comment on column core.conseillers_structures.france_services_label is 'Valeur publiée du champ france_services : oui, non ou non renseigné.';
comment on column core.conseillers_structures.validation_date is 'Date de validation en comité de sélection.';
comment on column core.conseillers_structures.address is 'Adresse (le saut de ligne publié remplacé par une virgule).';
comment on column core.conseillers_structures.commune is 'Nom de la commune (publié dans le champ commune_insee).';
comment on column core.conseillers_structures.insee_com is 'Code INSEE de la commune (champ insee_com).';
comment on column core.conseillers_structures.postcode is 'Code postal sur 5 caractères (code_postal_bis, à défaut code_postal complété d''un zéro).';
comment on column core.conseillers_structures.dep_code is 'Code du département déclaré (code_département complété à 2 caractères).';
comment on column core.conseillers_structures.dep_code_geocoded is 'Département de la commune trouvée par le géocodeur (insee_dep) ; peut différer du département déclaré.';
comment on column core.conseillers_structures.reg_code is 'Code de la région publié (insee_reg).';
comment on column core.conseillers_structures.zrr is 'Structure en zone de revitalisation rurale.';
comment on column core.conseillers_structures.qpv is 'Structure en quartier prioritaire de la politique de la ville (vide si non publié).';
comment on column core.conseillers_structures.state_investment_eur is 'Investissement financier estimatif total de l''État (euros).';
comment on column core.conseillers_structures.latitude is 'Latitude WGS84 géocodée ; vide si l''adresse est absente.';
comment on column core.conseillers_structures.longitude is 'Longitude WGS84 géocodée ; vide si l''adresse est absente.';
comment on column core.conseillers_structures.geocoder_score is 'Score du géocodeur (0-1).';
comment on column core.conseillers_structures.geocoder_label is 'Adresse trouvée par le géocodeur (accents rétablis).';
comment on column core.conseillers_structures.geocoded_manually is 'Géocodage corrigé à la main par l''ANCT.';
comment on column core.conseillers_structures.quality_flags is 'Règles d''avertissement enfreintes par la ligne (suite expectations/conseillers.json).';
