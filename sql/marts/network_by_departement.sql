-- marts.network_by_departement: for every snapshot date and département, espaces open by type
-- and format, and the openings, closures and changes since the previous snapshot (null at the
-- first snapshot, where the history starts and nothing can be called an opening). A row exists
-- where the département has an espace open that day or an event. Filled date by date by
-- network_by_departement__refresh.sql, from the first replayed date on.
create schema if not exists marts;

create table if not exists marts.network_by_departement (
    as_of date not null,
    insee_dep varchar not null,
    previous_as_of date,
    n_open bigint not null,
    n_principal bigint not null,
    n_antenne bigint not null,
    n_type_unknown bigint not null,
    n_fixe bigint not null,
    n_fixe_antennes bigint not null,
    n_multisite bigint not null,
    n_itinerant bigint not null,
    n_bus bigint not null,
    n_format_unknown bigint not null,
    n_opened bigint,
    n_closed bigint,
    n_changed bigint,
    primary key (as_of, insee_dep)
);

comment on table marts.network_by_departement is 'Réseau France services par date d''instantané et département : espaces ouverts par type et format, ouvertures, fermetures et changements depuis l''instantané précédent.';
comment on column marts.network_by_departement.as_of is 'Date de l''instantané de la liste.';
comment on column marts.network_by_departement.insee_dep is 'Code du département.';
comment on column marts.network_by_departement.previous_as_of is 'Date de l''instantané précédent (vide pour le premier).';
comment on column marts.network_by_departement.n_open is 'Espaces ouverts à cette date.';
comment on column marts.network_by_departement.n_principal is 'Dont espaces principaux.';
comment on column marts.network_by_departement.n_antenne is 'Dont antennes.';
comment on column marts.network_by_departement.n_type_unknown is 'Dont type non publié (listes de début 2020).';
comment on column marts.network_by_departement.n_fixe is 'Dont format fixe.';
comment on column marts.network_by_departement.n_fixe_antennes is 'Dont format fixe avec antenne(s).';
comment on column marts.network_by_departement.n_multisite is 'Dont format multisites.';
comment on column marts.network_by_departement.n_itinerant is 'Dont format itinérant.';
comment on column marts.network_by_departement.n_bus is 'Dont format bus.';
comment on column marts.network_by_departement.n_format_unknown is 'Dont format non publié.';
comment on column marts.network_by_departement.n_opened is 'Espaces ouverts depuis l''instantané précédent (vide au premier instantané).';
comment on column marts.network_by_departement.n_closed is 'Espaces fermés (absents) depuis l''instantané précédent, comptés dans leur dernier département.';
comment on column marts.network_by_departement.n_changed is 'Espaces dont un attribut publié a changé depuis l''instantané précédent.';
