-- core.communes: the commune reference, one row per vintage and commune, each inhabitant
-- counted once (municipal arrondissements of Paris, Lyon and Marseille replace their parent).
-- A vintage is replaced as a whole when it is loaded again from another file.
create schema if not exists core;

create table if not exists core.communes (
    vintage integer not null,
    code_insee varchar not null,
    name varchar,
    typecom varchar not null,
    dep_code varchar,
    reg_code varchar,
    population bigint,
    latitude double,
    longitude double,
    density_class varchar,
    load_id bigint not null,
    primary key (vintage, code_insee)
);

comment on table core.communes is 'Référentiel des communes par millésime : code INSEE, nom, département, région, population municipale et coordonnées du centre ; chaque habitant compté une fois (les arrondissements municipaux de Paris, Lyon et Marseille remplacent leur commune).';
comment on column core.communes.vintage is 'Millésime de population (année).';
comment on column core.communes.code_insee is 'Code INSEE de la commune, ou de l''arrondissement municipal (5 caractères).';
comment on column core.communes.name is 'Nom de la commune.';
comment on column core.communes.typecom is 'Type : COM (commune) ou ARM (arrondissement municipal).';
comment on column core.communes.dep_code is 'Code du département (01…95, 2A, 2B, 971…).';
comment on column core.communes.reg_code is 'Code de la région ; vide s''il n''est pas publié.';
comment on column core.communes.population is 'Population municipale du millésime.';
comment on column core.communes.latitude is 'Latitude WGS84 du centre de la commune (à défaut, de la mairie) ; vide si inconnue.';
comment on column core.communes.longitude is 'Longitude WGS84 du centre de la commune (à défaut, de la mairie) ; vide si inconnue.';
comment on column core.communes.density_class is 'Classe de la grille communale de densité de l''INSEE ; vide si la source ne la donne pas.';
comment on column core.communes.load_id is 'Chargement (meta.loads) qui a apporté ce millésime.';
