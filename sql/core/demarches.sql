-- One row per démarche across every edition in force (identity: staging.observatoire_demarches),
-- described as in its latest edition, with the titles it has had.
create schema if not exists core;

create or replace table core.demarches as
with rows as (
    select demarches.*, editions.edition_date
    from staging.observatoire_demarches as demarches
    inner join core.editions using (edition_id)
),

titles as (
    select demarche_id, title, min(edition_date) as first_seen
    from rows
    where title is not null
    group by all
),

titles_seen as (
    select demarche_id, list(title order by first_seen, title) as titles_seen
    from titles
    group by all
),

summary as (
    select
        demarche_id,
        arg_max(title, edition_date) as title,
        arg_max(source_demarche_id, edition_date) as source_demarche_id,
        arg_max(administration_id, edition_date) filter (where administration_id is not null)
            as administration_id,
        arg_max(administration, edition_date) as administration,
        arg_max(ministry, edition_date) as ministry,
        arg_max(perimeter, edition_date) as perimeter,
        arg_max(user_categories, edition_date) as user_categories,
        arg_max(url, edition_date) as url,
        min(edition_id) as first_edition,
        max(edition_id) as last_edition,
        count(distinct edition_id) as n_editions
    from rows
    group by all
)

select
    summary.demarche_id,
    summary.title,
    summary.source_demarche_id,
    summary.administration_id,
    summary.administration,
    administrations.name as administration_name,
    summary.ministry,
    administrations.ministry as administration_ministry,
    summary.perimeter,
    summary.user_categories,
    summary.url,
    summary.first_edition,
    summary.last_edition,
    summary.n_editions,
    titles_seen.titles_seen
from summary
left join titles_seen using (demarche_id)
left join core.administrations as administrations using (administration_id)
order by summary.demarche_id;

comment on table core.demarches is 'Démarches suivies par l''Observatoire, une ligne par démarche toutes éditions confondues, décrite comme dans sa dernière édition.';
comment on column core.demarches.demarche_id is 'Identifiant stable de la démarche : id:<ID_Demarche> quand la source en donne un (y compris reporté sur les éditions sans identifiant par l''intitulé et la table des renommages), sinon t:<intitulé normalisé le plus ancien>@<administration>.';
comment on column core.demarches.title is 'Intitulé de la démarche dans sa dernière édition.';
comment on column core.demarches.source_demarche_id is 'Identifiant de la démarche dans la source (ID_Demarche), vide pour les éditions v1.';
comment on column core.demarches.administration_id is 'Administration responsable selon le référentiel core.administrations (vide si le nom publié n''y figure pas).';
comment on column core.demarches.administration is 'Nom de l''administration tel que publié dans la dernière édition.';
comment on column core.demarches.administration_name is 'Nom officiel de l''administration selon le référentiel.';
comment on column core.demarches.ministry is 'Ministère tel que publié dans la dernière édition (Ministère politique).';
comment on column core.demarches.administration_ministry is 'Ministère de rattachement de l''administration selon le référentiel.';
comment on column core.demarches.perimeter is 'Périmètre ministériel (administration centrale ou secrétariat général) tel que publié.';
comment on column core.demarches.user_categories is 'Catégories d''usagers concernés (liste).';
comment on column core.demarches.url is 'Adresse de la démarche en ligne.';
comment on column core.demarches.first_edition is 'Première édition (AAAA-MM) où figure la démarche.';
comment on column core.demarches.last_edition is 'Dernière édition (AAAA-MM) où figure la démarche.';
comment on column core.demarches.n_editions is 'Nombre d''éditions où figure la démarche.';
comment on column core.demarches.titles_seen is 'Intitulés successifs de la démarche, du plus ancien au plus récent.';
