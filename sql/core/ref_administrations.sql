-- core.ref_administrations: the observatory's administrations of reference
-- (transforms/reference/administrations.csv), loaded by warehouse.observatoire, so that
-- core.administrations can say under which names the editions in force published them.
create schema if not exists core;

create table if not exists core.ref_administrations (
    administration_id varchar,
    name varchar,
    ministry varchar,
    aliases varchar[]
);

comment on table core.ref_administrations is 'Administrations de référence de l''observatoire (transforms/reference/administrations.csv).';
comment on column core.ref_administrations.administration_id is 'Identifiant de l''administration.';
comment on column core.ref_administrations.name is 'Nom de l''administration.';
comment on column core.ref_administrations.ministry is 'Ministère de rattachement.';
comment on column core.ref_administrations.aliases is 'Autres noms sous lesquels les éditions la publient.';
