-- The latest vintage of core.communes summed per département, its région (core.ref_departements)
-- and France (the communes loaded).
insert into staging.footfall_population by name
with latest as (
    select max(vintage) as vintage from core.communes
),

communes as (
    select communes.dep_code, communes.population, communes.vintage
    from core.communes as communes
    inner join latest using (vintage)
    where communes.population is not null
),

departements as (
    select 'departement' as level, dep_code as code, vintage, sum(population) as population
    from communes
    where dep_code is not null
    group by all
),

regions as (
    select 'region' as level, ref.reg_code as code, communes.vintage,
        sum(communes.population) as population
    from communes
    inner join core.ref_departements as ref using (dep_code)
    group by all
),

france as (
    select 'france' as level, 'FR' as code, vintage, sum(population) as population
    from communes
    group by all
)

select * from departements
union all
select * from regions
union all
select * from france;
