-- core.footfall: the figures in force, one row per espace × month × partner (null = all
-- partners). A month re-sent for an espace replaces all that espace's rows for that month;
-- load_id keeps which load supplied each figure (the replaced ones stay in raw.footfall).
create schema if not exists core;

create table if not exists core.footfall (
    espace_id varchar not null,
    month date not null,
    partner_code varchar,
    requests bigint not null,
    resolved bigint,
    redirected bigint,
    load_id bigint not null,
    source_row bigint not null,
    is_outlier boolean not null default false,
    median_requests double,
    quality_flags varchar[],
    is_synthetic boolean not null,
    extra json
);

comment on table core.footfall is 'Fréquentation des espaces France services par espace, mois et partenaire (flux des opérateurs, format fsdata/reference/FOOTFALL_FORMAT.md). ATTENTION : les lignes is_synthetic = vrai viennent du flux de démonstration SYNTHÉTIQUE (chiffres inventés, jamais réels).';
comment on column core.footfall.espace_id is 'Identifiant de l''espace (core.espaces), ouvert pendant ce mois.';
comment on column core.footfall.month is 'Mois compté (premier jour du mois).';
comment on column core.footfall.partner_code is 'Partenaire concerné (core.partners) ; vide = total de l''espace tous partenaires confondus.';
comment on column core.footfall.requests is 'Nombre de demandes traitées dans le mois.';
comment on column core.footfall.resolved is 'Dont demandes résolues sur place ; vide si non compté.';
comment on column core.footfall.redirected is 'Dont demandes réorientées vers le partenaire ; vide si non compté.';
comment on column core.footfall.load_id is 'Chargement (meta.loads) qui a fourni ce chiffre (les corrections remplacent le mois entier).';
comment on column core.footfall.source_row is 'Ligne du fichier source (1 = première ligne de données).';
comment on column core.footfall.is_outlier is 'Vrai si les demandes atteignent 10 fois la médiane des autres mois de la même série (signalé, non supprimé).';
comment on column core.footfall.median_requests is 'Médiane des demandes des autres mois de la même série, pour une valeur signalée.';
comment on column core.footfall.quality_flags is 'Règles d''avertissement enfreintes par la ligne (suite expectations/footfall.json).';
comment on column core.footfall.is_synthetic is 'Vrai si la ligne vient d''un fichier SYNTHÉTIQUE (nom contenant SYNTHETIC) : chiffres inventés pour la démonstration.';
comment on column core.footfall.extra is 'Colonnes du fichier que le format ne connaît pas, en JSON.';
