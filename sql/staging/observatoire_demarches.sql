-- The démarches of the editions in force (one load per edition, the latest wins), with
-- `demarche_id`: the stable identity of a démarche across editions.
--
-- Matching rule: a row with the source's own identifier (ID_Demarche) is `id:<ID>`. A row
-- without one (v1 editions) takes the identifier of any edition in force whose row carries an
-- identifier under one of its titles (`title_aliases`: its own normalised title and every title
-- linked by the rename table, oldest first, the first match wins), provided that title maps to a
-- single identifier; otherwise it keeps its key `t:<oldest normalised title>@<administration>`.
-- Resolving here, over every edition in force, makes the identity independent of load order.
create schema if not exists staging;

create or replace view staging.observatoire_demarches as
with in_force as (
    select load_id from meta.snapshots where source = 'observatoire'
),

source as (
    select raw.* from raw.observatoire_demarches as raw
    inner join in_force using (load_id)
),

titles_with_id as (
    select title_norm, min(demarche_key) as demarche_key
    from source
    where source_demarche_id is not null and demarche_key like 'id:%'
    group by title_norm
    having count(distinct demarche_key) = 1
),

aliases as (
    select
        edition_id,
        source_row,
        unnest(title_aliases) as alias,
        generate_subscripts(title_aliases, 1) as position
    from source
    where source_demarche_id is null
),

carried as (
    select aliases.edition_id, aliases.source_row,
        arg_min(titles_with_id.demarche_key, aliases.position) as demarche_key
    from aliases
    inner join titles_with_id on titles_with_id.title_norm = aliases.alias
    group by all
),

renamed as (
    select
        source.load_id,
        source.edition_id,
        source.source_row,
        coalesce(carried.demarche_key, source.demarche_key) as demarche_id,
        source.demarche_key,
        source.source_demarche_id,
        source.title,
        source.title_norm,
        source.ministry,
        source.administration,
        source.administration_id,
        source.perimeter,
        source.user_categories,
        source.url,
        source.extra
    from source
    left join carried using (edition_id, source_row)
)

select * from renamed;
