-- Footfall by month, France entière, all partners (is_synthetic says when it is the demo feed).
create or replace view main.footfall_france_monthly as
select month, n_espaces, requests, resolved, resolution_rate, requests_rolling_12m,
       requests_yoy_change, is_synthetic
from marts.footfall_monthly
where level = 'france' and partner is null
order by month;

comment on view main.footfall_france_monthly is 'Fréquentation mensuelle, France entière, tous partenaires : demandes, demandes résolues, taux de résolution, cumul sur 12 mois, évolution sur un an. is_synthetic signale le flux de démonstration (chiffres inventés).';
