-- Apply the snapshot of $as_of (the latest in the history so far): close the open versions
-- whose espace is absent or whose attributes changed, then open a version for every espace
-- of the snapshot that has no open version left. The versions to close are found as a set
-- difference of the open ones and the snapshot (a correlated `not exists` in the update's
-- filter costs a pass over every version, which grows with the history).
update core.espaces as version
set valid_to = $as_of
from (
    select espace_id, attributes_hash from core.espaces where valid_to is null
    except
    select espace_id, attributes_hash from staging.espaces where as_of = $as_of
) as gone
where version.valid_to is null and version.espace_id = gone.espace_id;

insert into core.espaces by name
select
    snapshot.espace_id,
    snapshot.as_of as valid_from,
    null as valid_to,
    snapshot.load_id,
    snapshot.attributes_hash,
    snapshot.name,
    snapshot.type,
    snapshot.format,
    snapshot.address,
    snapshot.address_complement,
    snapshot.postcode,
    snapshot.insee_com,
    snapshot.commune,
    snapshot.insee_dep,
    snapshot.latitude,
    snapshot.longitude,
    snapshot.phone,
    snapshot.email,
    snapshot.website,
    snapshot.hours_monday,
    snapshot.hours_tuesday,
    snapshot.hours_wednesday,
    snapshot.hours_thursday,
    snapshot.hours_friday,
    snapshot.hours_saturday,
    snapshot.hours_sunday,
    snapshot.appointment,
    snapshot.labellisation_date,
    snapshot.group_name,
    snapshot.comment,
    snapshot.type_label,
    snapshot.format_label,
    snapshot.coordinates_check,
    snapshot.quality_flags,
    snapshot.extra
from staging.espaces as snapshot
where snapshot.as_of = $as_of
    and not exists (
        select 1
        from core.espaces as version
        where version.espace_id = snapshot.espace_id and version.valid_to is null
    );
