-- Recompute marts.footfall_monthly for the months from $from_date's month to $until (excluded):
-- the months before did not change (a feed replaces whole espace-months; an espace snapshot of
-- day D changes only the months ending on or after D). A month's rolling 12-month sums and
-- year-ago figures need the 12 months before it: those are read from the mart itself (its rows
-- for months before $from_date are final), so a month's refresh reads that month's figures,
-- whatever the history. Run a year at a time by warehouse.footfall.refresh_monthly, so that a
-- first load of ten years needs the memory of one year.
delete from marts.footfall_monthly
where month >= date_trunc('month', $from_date::date) and month < $until::date;

insert into marts.footfall_monthly by name
with bounds as (
    select
        date_trunc('month', $from_date::date)::date as first_month,
        (date_trunc('month', $from_date::date) - interval 12 month)::date as first_read
),

figures as (
    select footfall.* from core.footfall as footfall, bounds
    where footfall.month >= bounds.first_month and footfall.month < $until::date
),

espace_months as (
    select distinct espace_id, month from figures
),

located_months as (
    select
        espace_months.espace_id,
        espace_months.month,
        arg_max(versions.insee_dep, versions.valid_from) as dep_code,
        arg_max(versions.name, versions.valid_from) as espace_name
    from espace_months
    inner join core.espaces as versions
        on versions.espace_id = espace_months.espace_id
        and versions.valid_from <= last_day(espace_months.month)
        and (versions.valid_to is null or espace_months.month < versions.valid_to)
    group by all
),

totals as (
    select
        espace_id, month, null::varchar as partner_code, requests, resolved, redirected,
        case when resolved is not null then requests end as requests_resolved_counted,
        is_synthetic
    from figures
    where partner_code is null
),

breakdown as (
    select
        espace_id, month, partner_code, requests, resolved, redirected,
        case when resolved is not null then requests end as requests_resolved_counted,
        is_synthetic
    from figures
    where partner_code is not null
),

totals_from_breakdown as (
    select
        espace_id, month, null::varchar as partner_code,
        sum(requests) as requests,
        sum(resolved) as resolved,
        sum(redirected) as redirected,
        sum(requests_resolved_counted) as requests_resolved_counted,
        bool_or(is_synthetic) as is_synthetic
    from breakdown
    where not exists (
        select 1 from totals
        where totals.espace_id = breakdown.espace_id and totals.month = breakdown.month
    )
    group by all
),

espace_rows as (
    select * from totals
    union all
    select * from totals_from_breakdown
    union all
    select * from breakdown
),

located as (
    select
        espace_rows.*,
        located_months.espace_name,
        located_months.dep_code,
        ref.dep_name,
        ref.reg_code,
        ref.reg_name
    from espace_rows
    left join located_months using (espace_id, month)
    left join core.ref_departements as ref using (dep_code)
),

levels as (
    select
        month, 'espace' as level, espace_id as code, any_value(espace_name) as label,
        partner_code, count(distinct espace_id) as n_espaces, sum(requests) as requests,
        sum(resolved) as resolved, sum(redirected) as redirected,
        sum(requests_resolved_counted) as requests_resolved_counted,
        bool_or(is_synthetic) as is_synthetic
    from located
    group by month, espace_id, partner_code
    union all
    select
        month, 'departement', dep_code, any_value(dep_name), partner_code,
        count(distinct espace_id), sum(requests), sum(resolved), sum(redirected),
        sum(requests_resolved_counted), bool_or(is_synthetic)
    from located
    group by month, dep_code, partner_code
    union all
    select
        month, 'region', reg_code, any_value(reg_name), partner_code,
        count(distinct espace_id), sum(requests), sum(resolved), sum(redirected),
        sum(requests_resolved_counted), bool_or(is_synthetic)
    from located
    group by month, reg_code, partner_code
    union all
    select
        month, 'france', 'FR', 'France', partner_code,
        count(distinct espace_id), sum(requests), sum(resolved), sum(redirected),
        sum(requests_resolved_counted), bool_or(is_synthetic)
    from located
    group by month, partner_code
),

-- The series over the refreshed months and the 12 before them (as the mart has them), for the
-- rolling sums and the year-ago figures.
series as (
    select month, level, code, partner_code, requests, resolved
    from levels
    union all
    select history.month, history.level, history.code, history.partner, history.requests,
        history.resolved
    from marts.footfall_monthly as history, bounds
    where history.month >= bounds.first_read and history.month < bounds.first_month
),

-- A month's rolling sums: its series' rows of the 12 months ending with it (a join of the
-- refreshed rows only, not a window over every row read).
rolling as (
    select
        current_month.month,
        current_month.level,
        current_month.code,
        current_month.partner_code,
        count(*) as months_in_rolling_12m,
        sum(window_rows.requests) as requests_sum_12m,
        sum(window_rows.resolved) as resolved_sum_12m
    from levels as current_month
    inner join series as window_rows
        on window_rows.level = current_month.level
        and window_rows.code is not distinct from current_month.code
        and window_rows.partner_code is not distinct from current_month.partner_code
        and window_rows.month > (current_month.month - interval 12 month)::date
        and window_rows.month <= current_month.month
    group by all
),

with_previous as (
    select
        levels.*,
        100.0 * levels.resolved / nullif(levels.requests_resolved_counted, 0)
            as resolution_rate,
        population.population,
        1000.0 * levels.requests / nullif(population.population, 0)
            as requests_per_1000_inhabitants,
        rolling.months_in_rolling_12m,
        rolling.requests_sum_12m,
        rolling.resolved_sum_12m,
        previous.requests as requests_previous_year
    from levels
    inner join rolling
        on rolling.level = levels.level
        and rolling.code is not distinct from levels.code
        and rolling.partner_code is not distinct from levels.partner_code
        and rolling.month = levels.month
    left join staging.footfall_population as population
        on population.level = levels.level and population.code = levels.code
    left join series as previous
        on previous.level = levels.level
        and previous.code is not distinct from levels.code
        and previous.partner_code is not distinct from levels.partner_code
        and previous.month = (levels.month - interval 12 month)::date
)

select
    month::date as month,
    level,
    code,
    label,
    partner_code as partner,
    n_espaces,
    requests::bigint as requests,
    resolved::bigint as resolved,
    redirected::bigint as redirected,
    requests_resolved_counted::bigint as requests_resolved_counted,
    resolution_rate,
    population,
    requests_per_1000_inhabitants,
    case when months_in_rolling_12m = 12 then requests_sum_12m end::bigint as requests_rolling_12m,
    case when months_in_rolling_12m = 12 then resolved_sum_12m end::bigint as resolved_rolling_12m,
    requests_previous_year::bigint as requests_previous_year,
    100.0 * (requests - requests_previous_year) / nullif(requests_previous_year, 0)
        as requests_yoy_change,
    is_synthetic
from with_previous
order by
    month,
    case level when 'france' then 0 when 'region' then 1 when 'departement' then 2 else 3 end,
    code,
    partner nulls first;
