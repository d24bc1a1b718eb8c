-- core.espaces: the history of every espace as SCD type 2. An espace is open on day D iff
-- valid_from <= D and (valid_to is null or D < valid_to). Maintained snapshot by snapshot by
-- espaces__rewind.sql and espaces__apply_snapshot.sql.
create schema if not exists core;

create table if not exists core.espaces (
    espace_id varchar not null,
    valid_from date not null,
    valid_to date,
    load_id bigint not null,
    attributes_hash varchar not null,
    name varchar,
    type varchar,
    format varchar,
    address varchar,
    address_complement varchar,
    postcode varchar,
    insee_com varchar,
    commune varchar,
    insee_dep varchar,
    latitude double,
    longitude double,
    phone varchar,
    email varchar,
    website varchar,
    hours_monday varchar,
    hours_tuesday varchar,
    hours_wednesday varchar,
    hours_thursday varchar,
    hours_friday varchar,
    hours_saturday varchar,
    hours_sunday varchar,
    appointment boolean,
    labellisation_date date,
    group_name varchar,
    comment varchar,
    type_label varchar,
    format_label varchar,
    coordinates_check varchar,
    quality_flags varchar[],
    extra json,
    primary key (espace_id, valid_from)
);

comment on table core.espaces is 'Historique de chaque espace France services (SCD2) : une ligne par version ; un espace est ouvert le jour J si valid_from <= J et (valid_to est vide ou J < valid_to).';
comment on column core.espaces.espace_id is 'Identifiant de l''espace (id_fs, anciennement MATRICULE), stable dans le temps.';
comment on column core.espaces.valid_from is 'Date du premier instantané de la liste où cette version apparaît.';
comment on column core.espaces.valid_to is 'Date de l''instantané où cette version a cessé (fermeture ou changement) ; vide si elle est en cours.';
comment on column core.espaces.load_id is 'Chargement (meta.loads) qui a apporté cette version.';
comment on column core.espaces.attributes_hash is 'Empreinte MD5 des attributs canoniques : un changement ouvre une nouvelle version.';
comment on column core.espaces.name is 'Nom de l''espace.';
comment on column core.espaces.type is 'Type : principal ou antenne.';
comment on column core.espaces.format is 'Format : fixe, fixe_antennes, multisite, itinerant ou bus.';
comment on column core.espaces.address is 'Adresse.';
comment on column core.espaces.address_complement is 'Complément d''adresse.';
comment on column core.espaces.postcode is 'Code postal (5 caractères).';
comment on column core.espaces.insee_com is 'Code INSEE de la commune.';
comment on column core.espaces.commune is 'Nom de la commune.';
comment on column core.espaces.insee_dep is 'Code du département (01…95, 2A, 2B, 971…978).';
comment on column core.espaces.latitude is 'Latitude WGS84 (degrés décimaux).';
comment on column core.espaces.longitude is 'Longitude WGS84 (degrés décimaux).';
comment on column core.espaces.phone is 'Téléphone.';
comment on column core.espaces.email is 'Adresse électronique.';
comment on column core.espaces.website is 'Site web (listes 2023-2024).';
comment on column core.espaces.hours_monday is 'Horaires du lundi, « HH:MM - HH:MM / … » ; vide si fermé ou non communiqué.';
comment on column core.espaces.hours_tuesday is 'Horaires du mardi.';
comment on column core.espaces.hours_wednesday is 'Horaires du mercredi.';
comment on column core.espaces.hours_thursday is 'Horaires du jeudi.';
comment on column core.espaces.hours_friday is 'Horaires du vendredi.';
comment on column core.espaces.hours_saturday is 'Horaires du samedi.';
comment on column core.espaces.hours_sunday is 'Horaires du dimanche.';
comment on column core.espaces.appointment is 'Prise de rendez-vous proposée.';
comment on column core.espaces.labellisation_date is 'Date de labellisation (le 1er du mois quand seul le mois est publié).';
comment on column core.espaces.group_name is 'Groupe d''espaces (multisites).';
comment on column core.espaces.comment is 'Commentaire publié (horaires, itinérance…).';
comment on column core.espaces.type_label is 'Libellé de type tel que publié (type_fs ou categorie).';
comment on column core.espaces.format_label is 'Libellé de format tel que publié (format_fs).';
comment on column core.espaces.coordinates_check is 'Contrôle des coordonnées : ok, missing, swapped (corrigées), outside_territory, unknown_territory.';
comment on column core.espaces.quality_flags is 'Règles d''avertissement enfreintes par la ligne source (suite expectations/espaces.json).';
comment on column core.espaces.extra is 'Colonnes publiées que le modèle ne connaît pas, en JSON.';
