-- National partners in force at each date the catalogue changes (core.partners): an entry
-- date, or the day after a partner's last day.
insert into marts.promise_measures
with changes as (
    select effective_from as day from core.partners
    union
    select effective_to + 1 from core.partners where effective_to is not null
)
select
    'partners_in_force' as measure,
    changes.day as measured_on,
    count(*)::double as value,
    'partenaires nationaux' as unit,
    'Catalogue des partenaires France services (chaque ligne citant son document : core.partners)' as source,
    1 as source_rank,
    'core.partners' as source_table,
    string_agg(partners.name, ', ' order by partners.name) as detail
from changes
inner join core.partners as partners
    on partners.effective_from <= changes.day
    and (partners.effective_to is null or changes.day <= partners.effective_to)
group by changes.day;
