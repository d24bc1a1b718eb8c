-- marts.network_reconciliation: the official count of labellisations (core.barometre) beside
-- the espaces open in the warehouse's history (core.espaces, SCD2) at the listing date nearest
-- to each official date, per territory (france / region / departement). The antennes are not
-- labellisations: the count compared is the espaces open minus the known antennes. Rebuilt as
-- a whole after a baromètre load and after each espaces snapshot (warehouse/barometre.py).
create schema if not exists marts;

create or replace table marts.network_reconciliation as
with reconciliation_settings as (
    -- the stated tolerance: a gap up to 2 % of the official value (rounded down) is agreement,
    -- a listing more than 31 days from the official date is not compared
    select 0.02 as tolerance_share, 31 as max_days_apart
),

official as (
    select indicator_id, level, code, label, date, value, unit
    from core.barometre
    where indicator_id = 'nb-labellisations-france-services'
),

listings as (
    select distinct as_of from meta.snapshots where source = 'espaces'
),

-- the listing nearest to each official date; of two as near, the earlier
nearest as (
    select date, listing_date
    from (
        select
            official_dates.date,
            listings.as_of as listing_date,
            row_number() over (
                partition by official_dates.date
                order by abs(datediff('day', official_dates.date, listings.as_of)), listings.as_of
            ) as rank
        from (select distinct date from official) as official_dates
        cross join listings
    )
    where rank = 1
),

open_espaces as (
    select nearest.listing_date, espaces.insee_dep, espaces.type
    from (select distinct listing_date from nearest) as nearest
    inner join core.espaces as espaces
        on espaces.valid_from <= nearest.listing_date
        and (espaces.valid_to is null or nearest.listing_date < espaces.valid_to)
),

-- whether a listing says which espaces are antennes (the first 2020 versions do not)
listing_typed as (
    select listing_date, bool_or(type is not null) as typed
    from open_espaces
    group by listing_date
),

territories as (
    select listing_date, 'france' as level, 'FR' as code, type from open_espaces
    union all
    select open_espaces.listing_date, 'region', ref.reg_code, open_espaces.type
    from open_espaces
    inner join core.ref_departements as ref on ref.dep_code = open_espaces.insee_dep
    union all
    select listing_date, 'departement', insee_dep, type
    from open_espaces
    where insee_dep is not null
),

counted as (
    select
        listing_date, level, code,
        count(*) as listing_open,
        count(*) filter (where type = 'principal') as listing_labelled,
        count(*) filter (where type = 'antenne') as listing_antennes,
        count(*) filter (where type is null) as listing_type_unknown
    from territories
    group by all
),

compared as (
    select
        official.date,
        official.level,
        official.code,
        official.label,
        official.value as official_value,
        official.unit,
        nearest.listing_date,
        datediff('day', official.date, nearest.listing_date) as listing_days_apart,
        coalesce(counted.listing_open, 0) as listing_open,
        case when listing_typed.typed then coalesce(counted.listing_labelled, 0) end
            as listing_labelled,
        case when listing_typed.typed then coalesce(counted.listing_antennes, 0) end
            as listing_antennes,
        coalesce(counted.listing_type_unknown, 0) as listing_type_unknown
    from official
    left join nearest using (date)
    left join listing_typed using (listing_date)
    left join counted
        on counted.listing_date = nearest.listing_date
        and counted.level = official.level
        and counted.code = official.code
)

select
    compared.date,
    compared.level,
    compared.code,
    compared.label,
    compared.official_value,
    compared.listing_date,
    compared.listing_days_apart,
    case when compared.listing_date is not null then compared.listing_open end as listing_open,
    compared.listing_labelled,
    compared.listing_antennes,
    case when compared.listing_date is not null then compared.listing_type_unknown end
        as listing_type_unknown,
    case
        when compared.listing_date is not null
            then compared.listing_open - coalesce(compared.listing_antennes, 0)
    end as listing_compared,
    case
        when compared.listing_date is not null
            then compared.listing_open - coalesce(compared.listing_antennes, 0)
            - compared.official_value
    end as difference,
    cast(floor(tol.tolerance_share * compared.official_value) as bigint) as tolerance,
    case
        when compared.listing_date is null then 'no_listing'
        when abs(compared.listing_days_apart) > tol.max_days_apart then 'listing_too_far'
        when abs(compared.listing_open - coalesce(compared.listing_antennes, 0)
            - compared.official_value)
            <= floor(tol.tolerance_share * compared.official_value) then 'agrees'
        else 'differs'
    end as flag
from compared
cross join reconciliation_settings as tol
order by
    compared.date,
    case compared.level when 'france' then 0 when 'region' then 1 else 2 end,
    compared.code;

comment on table marts.network_reconciliation is 'Rapprochement du nombre officiel de labellisations France services (Baromètre des résultats de l''action publique, Etalab / DINUM) et des espaces ouverts dans l''historique de la liste (core.espaces) à la date de liste la plus proche, par date officielle et territoire. Les antennes ne sont pas des labellisations : on compare les espaces ouverts moins les antennes connues. Tolérance : un écart jusqu''à 2 % de la valeur officielle (arrondi à l''entier inférieur) est un accord ; une liste à plus de 31 jours de la date officielle n''est pas comparée.';
comment on column marts.network_reconciliation.date is 'Date de la valeur officielle (fin de mois).';
comment on column marts.network_reconciliation.level is 'Maille : france, region ou departement.';
comment on column marts.network_reconciliation.code is 'Code du territoire : FR, code de région ou de département.';
comment on column marts.network_reconciliation.label is 'Nom du territoire tel que publié par le baromètre.';
comment on column marts.network_reconciliation.official_value is 'Nombre cumulé de labellisations publié par le baromètre à cette date.';
comment on column marts.network_reconciliation.listing_date is 'Date de l''instantané de la liste des espaces le plus proche de la date officielle (le plus ancien de deux aussi proches) ; vide si aucune liste n''est chargée.';
comment on column marts.network_reconciliation.listing_days_apart is 'Jours de la date officielle à la date de liste (positif : liste postérieure).';
comment on column marts.network_reconciliation.listing_open is 'Espaces ouverts à la date de liste sur le territoire (espaces labellisés, antennes et type non publié).';
comment on column marts.network_reconciliation.listing_labelled is 'Dont espaces labellisés (type principal : « Espace labellisé », « FS », « Site principal ») ; vide si la liste ne publie pas le type.';
comment on column marts.network_reconciliation.listing_antennes is 'Dont antennes ; vide si la liste ne publie pas le type.';
comment on column marts.network_reconciliation.listing_type_unknown is 'Dont espaces de type non publié (listes de début 2020).';
comment on column marts.network_reconciliation.listing_compared is 'Nombre comparé à la valeur officielle : espaces ouverts moins les antennes connues.';
comment on column marts.network_reconciliation.difference is 'listing_compared moins official_value.';
comment on column marts.network_reconciliation.tolerance is 'Écart toléré : 2 % de la valeur officielle, arrondi à l''entier inférieur.';
comment on column marts.network_reconciliation.flag is 'agrees (écart dans la tolérance), differs (au-delà), listing_too_far (liste à plus de 31 jours, non comparée) ou no_listing (aucune liste chargée).';
