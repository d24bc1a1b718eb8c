-- The démarches of every accepted observatory edition as read by transforms/observatoire/:
-- one row per source row. `title_norm` and `title_aliases` (every normalised title the démarche
-- has had through the rename table, oldest first) let staging carry an identifier found in one
-- edition to editions that have none.
create schema if not exists raw;

create table if not exists raw.observatoire_demarches (
    load_id bigint not null,
    edition_id varchar not null,
    source_row integer not null,
    demarche_key varchar not null,
    source_demarche_id varchar,
    title varchar,
    title_norm varchar,
    title_aliases varchar[],
    ministry varchar,
    administration varchar,
    administration_id varchar,
    perimeter varchar,
    user_categories varchar[],
    url varchar,
    extra json
);
