-- Apply the national file of $as_of (the latest in the history so far): close the open
-- versions whose lieu is absent or changed, then open a version for every lieu of the file
-- that has no open version left (the versions to close found as in espaces__apply_snapshot).
update core.lieux_mediation as version
set valid_to = $as_of
from (
    select lieu_id, attributes_hash from core.lieux_mediation where valid_to is null
    except
    select id as lieu_id, attributes_hash from staging.lieux_mediation where as_of = $as_of
) as gone
where version.valid_to is null and version.lieu_id = gone.lieu_id;

insert into core.lieux_mediation by name
select
    snapshot.id as lieu_id,
    snapshot.as_of as valid_from,
    null as valid_to,
    snapshot.load_id,
    snapshot.attributes_hash,
    snapshot.pivot_code,
    snapshot.pivot_kind,
    snapshot.siren,
    snapshot.nom,
    snapshot.commune,
    snapshot.code_postal,
    snapshot.code_insee,
    snapshot.dep_code,
    snapshot.adresse,
    snapshot.complement_adresse,
    snapshot.latitude,
    snapshot.longitude,
    snapshot.typologie,
    snapshot.telephone,
    snapshot.courriels,
    snapshot.site_web,
    snapshot.horaires,
    snapshot.presentation_resume,
    snapshot.presentation_detail,
    snapshot.source,
    snapshot.itinerance,
    snapshot.structure_parente,
    snapshot.date_maj,
    snapshot.services,
    snapshot.publics_specifiquement_adresses,
    snapshot.prise_en_charge_specifique,
    snapshot.frais_a_charge,
    snapshot.dispositif_programmes_nationaux,
    snapshot.formations_labels,
    snapshot.autres_formations_labels,
    snapshot.modalites_acces,
    snapshot.modalites_accompagnement,
    snapshot.fiche_acces_libre,
    snapshot.prise_rdv,
    snapshot.quality_flags,
    snapshot.extra
from staging.lieux_mediation as snapshot
where snapshot.as_of = $as_of
    and not exists (
        select 1
        from core.lieux_mediation as version
        where version.lieu_id = snapshot.id and version.valid_to is null
    );
