-- One row per lieu of each national file currently in force (the latest load for each date),
-- with the hash of the attributes that decides when a new version of a lieu starts.
create schema if not exists staging;

create or replace view staging.lieux_mediation as
with snapshots as (
    select as_of, load_id from meta.snapshots where source = 'mediation'
),

source as (
    select raw.*
    from raw.lieux_mediation as raw
    inner join snapshots using (load_id, as_of)
),

hashed as (
    select
        *,
        md5(to_json(struct_pack(
            pivot_code, nom, commune, code_postal, code_insee, dep_code, adresse,
            complement_adresse, latitude, longitude, typologie, telephone, courriels,
            site_web, horaires, presentation_resume, presentation_detail, source, itinerance,
            structure_parente, date_maj, services, publics_specifiquement_adresses,
            prise_en_charge_specifique, frais_a_charge, dispositif_programmes_nationaux,
            formations_labels, autres_formations_labels, modalites_acces,
            modalites_accompagnement, fiche_acces_libre, prise_rdv
        ))::varchar) as attributes_hash
    from source
)

select * from hashed
