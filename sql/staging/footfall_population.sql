-- Population per footfall level and code (departement, region, france), for requests per
-- 1,000 inhabitants. Created empty: filled by footfall_population__refresh.sql from
-- core.communes, so the rate stays null until communes are loaded.
create schema if not exists staging;

create or replace table staging.footfall_population (
    level varchar not null,
    code varchar not null,
    vintage integer not null,
    population bigint not null
);
