-- Footfall per month at four levels (espace, département, région, France), for all partners
-- together (partner null) and per partner. An espace's all-partner figure for a month is its
-- total row when sent, else the sum of its partner breakdown (the breakdown is never added to
-- a total). Département: the espace's département that month (core.espaces, the latest
-- version open during the month); région: core.ref_departements. Created empty here, filled
-- month by month by footfall_monthly__refresh.sql from the first month a load touched on.
create schema if not exists marts;

create table if not exists marts.footfall_monthly (
    month date not null,
    level varchar not null,
    code varchar,
    label varchar,
    partner varchar,
    n_espaces bigint,
    requests bigint,
    resolved bigint,
    redirected bigint,
    requests_resolved_counted bigint,
    resolution_rate double,
    population bigint,
    requests_per_1000_inhabitants double,
    requests_rolling_12m bigint,
    resolved_rolling_12m bigint,
    requests_previous_year bigint,
    requests_yoy_change double,
    is_synthetic boolean
);

comment on table marts.footfall_monthly is 'Fréquentation mensuelle aux niveaux espace, département, région et France, tous partenaires confondus (partner vide) et par partenaire. ATTENTION : is_synthetic = vrai signale des chiffres du flux de démonstration SYNTHÉTIQUE (inventés).';
comment on column marts.footfall_monthly.month is 'Mois (premier jour).';
comment on column marts.footfall_monthly.level is 'Niveau : espace, departement, region ou france.';
comment on column marts.footfall_monthly.code is 'Code au niveau : identifiant d''espace, code de département, code de région, FR.';
comment on column marts.footfall_monthly.label is 'Nom de l''espace, du département, de la région ou « France ».';
comment on column marts.footfall_monthly.partner is 'Code du partenaire ; vide = tous partenaires confondus (total de l''espace, sinon somme de sa ventilation).';
comment on column marts.footfall_monthly.n_espaces is 'Espaces ayant déclaré des chiffres ce mois.';
comment on column marts.footfall_monthly.requests is 'Demandes traitées.';
comment on column marts.footfall_monthly.resolved is 'Demandes résolues sur place (parmi les lignes qui les comptent).';
comment on column marts.footfall_monthly.redirected is 'Demandes réorientées (parmi les lignes qui les comptent).';
comment on column marts.footfall_monthly.requests_resolved_counted is 'Demandes des lignes qui comptent les résolues : dénominateur du taux de résolution.';
comment on column marts.footfall_monthly.resolution_rate is 'Taux de résolution sur place, en % (0-100) : resolved / requests_resolved_counted.';
comment on column marts.footfall_monthly.population is 'Population (dernier millésime de core.communes) du département, de la région ou des communes chargées (France) ; vide au niveau espace et tant que les communes ne sont pas chargées.';
comment on column marts.footfall_monthly.requests_per_1000_inhabitants is 'Demandes pour 1 000 habitants ; vide sans population.';
comment on column marts.footfall_monthly.requests_rolling_12m is 'Demandes cumulées sur les 12 mois finissant ce mois ; vide si l''un des 12 mois manque.';
comment on column marts.footfall_monthly.resolved_rolling_12m is 'Demandes résolues cumulées sur les 12 mois finissant ce mois ; vide si l''un des 12 mois manque.';
comment on column marts.footfall_monthly.requests_previous_year is 'Demandes du même mois un an plus tôt.';
comment on column marts.footfall_monthly.requests_yoy_change is 'Évolution sur un an des demandes, en %.';
comment on column marts.footfall_monthly.is_synthetic is 'Vrai si un chiffre agrégé vient du flux de démonstration SYNTHÉTIQUE (inventé).';
