-- core.lieux_mediation: the history of every lieu de médiation numérique as SCD type 2. A
-- lieu is listed on day D iff valid_from <= D and (valid_to is null or D < valid_to).
-- Maintained file by file by lieux_mediation__rewind.sql and lieux_mediation__apply_snapshot.sql.
create schema if not exists core;

create table if not exists core.lieux_mediation (
    lieu_id varchar not null,
    valid_from date not null,
    valid_to date,
    load_id bigint not null,
    attributes_hash varchar not null,
    pivot_code varchar,
    pivot_kind varchar,
    siren varchar,
    nom varchar,
    commune varchar,
    code_postal varchar,
    code_insee varchar,
    dep_code varchar,
    adresse varchar,
    complement_adresse varchar,
    latitude double,
    longitude double,
    typologie varchar[],
    telephone varchar,
    courriels varchar[],
    site_web varchar[],
    horaires varchar,
    presentation_resume varchar,
    presentation_detail varchar,
    source varchar,
    itinerance varchar[],
    structure_parente varchar,
    date_maj date,
    services varchar[],
    publics_specifiquement_adresses varchar[],
    prise_en_charge_specifique varchar[],
    frais_a_charge varchar[],
    dispositif_programmes_nationaux varchar[],
    formations_labels varchar[],
    autres_formations_labels varchar[],
    modalites_acces varchar[],
    modalites_accompagnement varchar[],
    fiche_acces_libre varchar,
    prise_rdv varchar,
    quality_flags varchar[],
    extra json,
    primary key (lieu_id, valid_from)
);

comment on table core.lieux_mediation is 'Historique de chaque lieu de médiation numérique du fichier national (standard LaMednum / ANCT v1.0.2) en SCD2 : une ligne par version ; un lieu est recensé le jour J si valid_from <= J et (valid_to est vide ou J < valid_to).';
comment on column core.lieux_mediation.lieu_id is 'Identifiant du lieu (champ id du standard), stable dans le temps.';
comment on column core.lieux_mediation.valid_from is 'Date du premier fichier national où cette version apparaît.';
comment on column core.lieux_mediation.valid_to is 'Date du fichier où cette version a cessé (lieu disparu ou modifié) ; vide si elle est en cours.';
comment on column core.lieux_mediation.load_id is 'Chargement (meta.loads) qui a apporté cette version.';
comment on column core.lieux_mediation.attributes_hash is 'Empreinte MD5 des champs publiés : un changement ouvre une nouvelle version.';
comment on column core.lieux_mediation.pivot_code is 'Identifiant de la structure publié (champ « pivot » du standard) : SIRET, SIREN, RNA ou RIDET.';
comment on column core.lieux_mediation.pivot_kind is 'Nature du pivot : siret, siren, rna, placeholder (que des zéros) ou other.';
comment on column core.lieux_mediation.siren is 'SIREN de la structure (9 premiers chiffres d''un SIRET ou SIREN) ; vide pour un pivot factice.';
comment on column core.lieux_mediation.nom is 'Nom du lieu.';
comment on column core.lieux_mediation.commune is 'Nom de la commune.';
comment on column core.lieux_mediation.code_postal is 'Code postal.';
comment on column core.lieux_mediation.code_insee is 'Code INSEE de la commune, tel que publié.';
comment on column core.lieux_mediation.dep_code is 'Département déduit du code INSEE, à défaut du code postal (01…95, 2A, 2B, 971…).';
comment on column core.lieux_mediation.adresse is 'Adresse.';
comment on column core.lieux_mediation.complement_adresse is 'Complément d''adresse.';
comment on column core.lieux_mediation.latitude is 'Latitude WGS84 (degrés décimaux) ; vide si absente ou illisible.';
comment on column core.lieux_mediation.longitude is 'Longitude WGS84 (degrés décimaux) ; vide si absente ou illisible.';
comment on column core.lieux_mediation.typologie is 'Typologies de la structure (liste, codes du standard).';
comment on column core.lieux_mediation.telephone is 'Téléphone.';
comment on column core.lieux_mediation.courriels is 'Adresses électroniques (liste).';
comment on column core.lieux_mediation.site_web is 'Sites web (liste).';
comment on column core.lieux_mediation.horaires is 'Horaires au format OpenStreetMap opening_hours.';
comment on column core.lieux_mediation.presentation_resume is 'Présentation résumée (280 caractères au plus selon le standard).';
comment on column core.lieux_mediation.presentation_detail is 'Présentation détaillée.';
comment on column core.lieux_mediation.source is 'Structure qui a collecté la donnée.';
comment on column core.lieux_mediation.itinerance is 'Itinérance : Fixe et/ou Itinérant (liste).';
comment on column core.lieux_mediation.structure_parente is 'Structure parente.';
comment on column core.lieux_mediation.date_maj is 'Date de mise à jour déclarée par la source.';
comment on column core.lieux_mediation.services is 'Services proposés (liste, valeurs du standard).';
comment on column core.lieux_mediation.publics_specifiquement_adresses is 'Publics spécifiquement adressés (liste).';
comment on column core.lieux_mediation.prise_en_charge_specifique is 'Prises en charge spécifiques (liste).';
comment on column core.lieux_mediation.frais_a_charge is 'Frais à charge : Gratuit, Gratuit sous condition, Payant (liste).';
comment on column core.lieux_mediation.dispositif_programmes_nationaux is 'Dispositifs et programmes nationaux dont relève le lieu (Conseillers numériques, France Services, Aidants Connect…), écrits comme dans le standard.';
comment on column core.lieux_mediation.formations_labels is 'Formations et labels (liste).';
comment on column core.lieux_mediation.autres_formations_labels is 'Autres formations et labels (liste libre).';
comment on column core.lieux_mediation.modalites_acces is 'Modalités d''accès (liste).';
comment on column core.lieux_mediation.modalites_accompagnement is 'Modalités d''accompagnement (liste).';
comment on column core.lieux_mediation.fiche_acces_libre is 'Lien vers la fiche Accès libre.';
comment on column core.lieux_mediation.prise_rdv is 'Lien de prise de rendez-vous.';
comment on column core.lieux_mediation.quality_flags is 'Règles d''avertissement enfreintes par la ligne source (suite expectations/mediation.json).';
comment on column core.lieux_mediation.extra is 'Colonnes publiées que le standard ne connaît pas, en JSON.';
