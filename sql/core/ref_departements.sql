-- core.ref_departements: départements and their région (fsdata/reference/departements.csv),
-- to roll footfall up from an espace's département to its région.
create schema if not exists core;

create table if not exists core.ref_departements (
    dep_code varchar primary key,
    dep_name varchar not null,
    reg_code varchar not null,
    reg_name varchar not null
);

comment on table core.ref_departements is 'Départements (101) et collectivités d''outre-mer 975, 977, 978 avec leur région (référence fsdata/reference/departements.csv) ; une collectivité hors région tient lieu de sa propre région.';
comment on column core.ref_departements.dep_code is 'Code du département (01…95, 2A, 2B, 971…978).';
comment on column core.ref_departements.dep_name is 'Nom du département.';
comment on column core.ref_departements.reg_code is 'Code INSEE de la région (le code de la collectivité pour 975, 977, 978).';
comment on column core.ref_departements.reg_name is 'Nom de la région.';
