{#- generated from dbt_project/indicators/catalogue.yml by `python -m pipelines.indicators generate`: do not edit. -#}
{#- The indicator catalogue as a dict: {'indicators': [{code, label_fr, family, ...}]}. -#}
{% macro spro_catalogue() -%}
{%- set catalogue_json -%}{% raw %}
{
 "indicators": [
  {
   "code": "ACT_PEOPLE",
   "label_fr": "Personnes accompagnées",
   "definition_fr": "Nombre de personnes distinctes ayant bénéficié d'au moins un service (accueil, information, conseil, accompagnement) auprès d'un membre du SPRO sur la période. Une personne vue par plusieurs membres n'est comptée qu'une fois grâce au rapprochement pseudonyme des identités.",
   "formula": "count(distinct person_key) over marts.fct_service_acts where source_grain = 'act'",
   "unit": "personnes",
   "value_type": "count",
   "family": "suivi",
   "feeds": [
    "activity"
   ],
   "dimensions": [
    "network",
    "member",
    "service_level",
    "channel",
    "sex",
    "age_band",
    "public_status",
    "rqth"
   ],
   "periods": [
    "month",
    "year"
   ],
   "geo_levels": [
    "member",
    "bassin"
   ],
   "disclosure_threshold": 5,
   "people_counts": [
    "numerator"
   ],
   "aggregate_members": "excluded",
   "aggregate_reason_fr": "Les membres qui n'envoient que des agrégats ne transmettent pas d'identifiant de personne : leurs effectifs ne peuvent pas être dédoublonnés avec ceux des autres membres. Ils sont publiés à part (ACT_PEOPLE_DECLARED)."
  },
  {
   "code": "ACT_PEOPLE_DECLARED",
   "label_fr": "Personnes déclarées par les membres en agrégats",
   "definition_fr": "Somme des effectifs de personnes déclarés par les membres qui transmettent des tableaux mensuels agrégés. Une personne ayant reçu plusieurs services différents dans le mois peut être comptée plusieurs fois : ce n'est pas un nombre de personnes distinctes et il ne s'ajoute pas à ACT_PEOPLE.",
   "formula": "sum(people_count) over marts.fct_service_acts where source_grain = 'aggregate'",
   "unit": "personnes",
   "value_type": "count",
   "family": "suivi",
   "feeds": [
    "activity"
   ],
   "dimensions": [
    "network",
    "member",
    "service_level",
    "channel",
    "sex",
    "age_band",
    "public_status"
   ],
   "periods": [
    "month",
    "year"
   ],
   "geo_levels": [
    "member",
    "bassin"
   ],
   "disclosure_threshold": 5,
   "people_counts": [
    "numerator"
   ],
   "aggregate_members": "only",
   "aggregate_reason_fr": "Indicateur propre aux membres qui transmettent des agrégats."
  },
  {
   "code": "ACT_ACTS",
   "label_fr": "Actes de service délivrés",
   "definition_fr": "Nombre d'actes de service (entretiens, accueils, informations, conseils) délivrés par les membres du SPRO sur la période, tous formats d'export confondus.",
   "formula": "sum(acts_count) over marts.fct_service_acts (1 per act row, the declared count per aggregate row)",
   "unit": "actes",
   "value_type": "count",
   "family": "suivi",
   "feeds": [
    "activity"
   ],
   "dimensions": [
    "network",
    "member",
    "service_level",
    "channel",
    "sex",
    "age_band",
    "public_status"
   ],
   "periods": [
    "month",
    "year"
   ],
   "geo_levels": [
    "member",
    "bassin"
   ],
   "disclosure_threshold": 5,
   "people_counts": [],
   "aggregate_members": "included",
   "aggregate_reason_fr": "Les actes s'additionnent exactement entre membres à l'acte et membres en agrégats."
  },
  {
   "code": "PATH_REDIRECTED_PEOPLE",
   "label_fr": "Personnes ré-aiguillées vers un autre membre",
   "definition_fr": "Nombre de personnes distinctes qu'un membre a orientées (ré-aiguillage) vers un autre membre du SPRO sur la période.",
   "formula": "count(distinct person_key) over marts.fct_redirections",
   "unit": "personnes",
   "value_type": "count",
   "family": "suivi",
   "feeds": [
    "activity"
   ],
   "dimensions": [
    "network",
    "member",
    "target_network"
   ],
   "periods": [
    "month",
    "year"
   ],
   "geo_levels": [
    "member",
    "bassin"
   ],
   "disclosure_threshold": 5,
   "people_counts": [
    "numerator"
   ],
   "aggregate_members": "excluded",
   "aggregate_reason_fr": "Les agrégats ne disent pas vers quel membre chaque personne a été orientée."
  },
  {
   "code": "PATH_MULTI_NETWORK_PEOPLE",
   "label_fr": "Personnes vues par plusieurs réseaux",
   "definition_fr": "Nombre de personnes distinctes ayant reçu dans l'année des services d'au moins deux réseaux membres différents (par exemple Mission locale puis Pôle emploi).",
   "formula": "count(distinct person_key) with count(distinct network_code) >= 2 in the calendar year",
   "unit": "personnes",
   "value_type": "count",
   "family": "suivi",
   "feeds": [
    "activity"
   ],
   "dimensions": [
    "sex",
    "age_band"
   ],
   "periods": [
    "year"
   ],
   "geo_levels": [
    "bassin"
   ],
   "disclosure_threshold": 5,
   "people_counts": [
    "numerator"
   ],
   "aggregate_members": "excluded",
   "aggregate_reason_fr": "Sans identifiant de personne, un parcours entre réseaux ne peut pas être reconstitué."
  },
  {
   "code": "PSAD_IDENTIFIED",
   "label_fr": "Jeunes repérés par les PSAD",
   "definition_fr": "Nombre de jeunes de 16 ans et plus sortis du système scolaire sans diplôme, repérés sur les listes SIEI/RIO d'une plateforme de suivi et d'appui aux décrocheurs, par campagne (année scolaire).",
   "formula": "count(distinct identity_key) over marts.fct_psad_journeys",
   "unit": "jeunes",
   "value_type": "count",
   "family": "suivi",
   "feeds": [
    "rio",
    "psad_followup"
   ],
   "dimensions": [
    "sex",
    "exit_reason"
   ],
   "periods": [
    "campaign",
    "month"
   ],
   "geo_levels": [
    "psad_platform"
   ],
   "disclosure_threshold": 11,
   "people_counts": [
    "numerator"
   ],
   "aggregate_members": "excluded",
   "aggregate_reason_fr": "Données des PSAD uniquement (listes nominatives pseudonymisées)."
  },
  {
   "code": "LOR_ACCOUNTS_CREATED",
   "label_fr": "Comptes Lorfolio créés",
   "definition_fr": "Nombre de comptes Lorfolio ouverts sur la période.",
   "formula": "count(distinct account_id) with action = 'ACCOUNT_CREATED'",
   "unit": "comptes",
   "value_type": "count",
   "family": "suivi",
   "feeds": [
    "lorfolio"
   ],
   "dimensions": [
    "sex",
    "age_band"
   ],
   "periods": [
    "month",
    "year"
   ],
   "geo_levels": [
    "bassin"
   ],
   "disclosure_threshold": 5,
   "people_counts": [
    "numerator"
   ],
   "aggregate_members": "excluded",
   "aggregate_reason_fr": "Données Lorfolio (Région), sans lien avec les exports des membres."
  },
  {
   "code": "LOR_ACTIVE_ACCOUNTS",
   "label_fr": "Comptes Lorfolio actifs",
   "definition_fr": "Nombre de comptes Lorfolio ayant enregistré au moins une action (connexion, saisie, document…) sur la période ; sur l'année, un compte actif plusieurs mois n'est compté qu'une fois.",
   "formula": "count(distinct account_id) over marts.fct_lorfolio_account_months",
   "unit": "comptes",
   "value_type": "count",
   "family": "suivi",
   "feeds": [
    "lorfolio"
   ],
   "dimensions": [
    "sex",
    "age_band"
   ],
   "periods": [
    "month",
    "year"
   ],
   "geo_levels": [
    "bassin"
   ],
   "disclosure_threshold": 5,
   "people_counts": [
    "numerator"
   ],
   "aggregate_members": "excluded",
   "aggregate_reason_fr": "Données Lorfolio (Région), sans lien avec les exports des membres."
  },
  {
   "code": "LOR_CVS",
   "label_fr": "CV générés dans Lorfolio",
   "definition_fr": "Nombre de CV générés par les titulaires de comptes Lorfolio sur la période.",
   "formula": "sum(cv_generated_count) over marts.fct_lorfolio_account_months",
   "unit": "actes",
   "value_type": "count",
   "family": "suivi",
   "feeds": [
    "lorfolio"
   ],
   "dimensions": [],
   "periods": [
    "month",
    "year"
   ],
   "geo_levels": [
    "bassin"
   ],
   "disclosure_threshold": 5,
   "people_counts": [
    "denominator"
   ],
   "aggregate_members": "excluded",
   "aggregate_reason_fr": "Données Lorfolio (Région), sans lien avec les exports des membres."
  },
  {
   "code": "LOR_SITES",
   "label_fr": "Sites personnels publiés dans Lorfolio",
   "definition_fr": "Nombre de sites web personnels publiés depuis Lorfolio sur la période.",
   "formula": "sum(site_published_count) over marts.fct_lorfolio_account_months",
   "unit": "actes",
   "value_type": "count",
   "family": "suivi",
   "feeds": [
    "lorfolio"
   ],
   "dimensions": [],
   "periods": [
    "month",
    "year"
   ],
   "geo_levels": [
    "bassin"
   ],
   "disclosure_threshold": 5,
   "people_counts": [
    "denominator"
   ],
   "aggregate_members": "excluded",
   "aggregate_reason_fr": "Données Lorfolio (Région), sans lien avec les exports des membres."
  },
  {
   "code": "LOR_SKILLS",
   "label_fr": "Compétences décrites dans Lorfolio",
   "definition_fr": "Nombre de compétences décrites (et de preuves jointes) par les titulaires de comptes Lorfolio.",
   "formula": "sum(skill_added_count + proof_added_count) over marts.fct_lorfolio_account_months",
   "unit": "actes",
   "value_type": "count",
   "family": "suivi",
   "feeds": [
    "lorfolio"
   ],
   "dimensions": [],
   "periods": [
    "month",
    "year"
   ],
   "geo_levels": [
    "bassin"
   ],
   "disclosure_threshold": 5,
   "people_counts": [
    "denominator"
   ],
   "aggregate_members": "excluded",
   "aggregate_reason_fr": "Données Lorfolio (Région), sans lien avec les exports des membres."
  },
  {
   "code": "LOR_DOCUMENTS",
   "label_fr": "Documents déposés dans le coffre-fort Lorfolio",
   "definition_fr": "Nombre de documents déposés dans le coffre-fort numérique de Lorfolio sur la période.",
   "formula": "sum(document_stored_count) over marts.fct_lorfolio_account_months",
   "unit": "actes",
   "value_type": "count",
   "family": "suivi",
   "feeds": [
    "lorfolio"
   ],
   "dimensions": [],
   "periods": [
    "month",
    "year"
   ],
   "geo_levels": [
    "bassin"
   ],
   "disclosure_threshold": 5,
   "people_counts": [
    "denominator"
   ],
   "aggregate_members": "excluded",
   "aggregate_reason_fr": "Données Lorfolio (Région), sans lien avec les exports des membres."
  },
  {
   "code": "EVT_EVENTS",
   "label_fr": "Événements de l'agenda de l'orientation",
   "definition_fr": "Nombre d'événements (forums, salons, portes ouvertes, visites d'entreprise, ateliers, conférences) tenus sur la période, en présentiel ou en ligne.",
   "formula": "count(distinct event_id) over marts.fct_events",
   "unit": "evenements",
   "value_type": "count",
   "family": "suivi",
   "feeds": [
    "events"
   ],
   "dimensions": [
    "event_type",
    "channel",
    "cot_sector"
   ],
   "periods": [
    "month",
    "year"
   ],
   "geo_levels": [
    "bassin"
   ],
   "disclosure_threshold": 1,
   "people_counts": [],
   "aggregate_members": "excluded",
   "aggregate_reason_fr": "Données de l'agenda de l'orientation (Région)."
  },
  {
   "code": "EVT_REGISTRATIONS",
   "label_fr": "Inscriptions aux événements",
   "definition_fr": "Nombre d'inscriptions aux événements de l'agenda de l'orientation tenus sur la période.",
   "formula": "count(registration_id) over marts.fct_event_registrations",
   "unit": "inscriptions",
   "value_type": "count",
   "family": "suivi",
   "feeds": [
    "events",
    "registrations"
   ],
   "dimensions": [
    "event_type",
    "channel",
    "cot_sector",
    "sex",
    "public_status"
   ],
   "periods": [
    "month",
    "year"
   ],
   "geo_levels": [
    "bassin"
   ],
   "disclosure_threshold": 5,
   "people_counts": [
    "numerator"
   ],
   "aggregate_members": "excluded",
   "aggregate_reason_fr": "Données de l'agenda de l'orientation (Région)."
  },
  {
   "code": "EVT_PARTICIPANTS",
   "label_fr": "Participants aux événements",
   "definition_fr": "Nombre d'inscrits effectivement présents aux événements, par statut (élève, étudiant, apprenti, demandeur d'emploi, salarié, autre) et par sexe.",
   "formula": "count(registration_id) where attended over marts.fct_event_registrations",
   "unit": "participants",
   "value_type": "count",
   "family": "suivi",
   "feeds": [
    "events",
    "registrations"
   ],
   "dimensions": [
    "event_type",
    "channel",
    "cot_sector",
    "sex",
    "public_status"
   ],
   "periods": [
    "month",
    "year"
   ],
   "geo_levels": [
    "bassin"
   ],
   "disclosure_threshold": 5,
   "people_counts": [
    "numerator"
   ],
   "aggregate_members": "excluded",
   "aggregate_reason_fr": "Données de l'agenda de l'orientation (Région)."
  },
  {
   "code": "EVT_BUSINESS_PARTNERS",
   "label_fr": "Partenaires du monde professionnel associés aux événements",
   "definition_fr": "Nombre de participations d'entreprises et de branches professionnelles aux événements de la période (une entreprise présente à deux événements compte deux fois).",
   "formula": "sum(partner_companies_count + partner_branches_count) over marts.fct_events",
   "unit": "partenaires",
   "value_type": "count",
   "family": "suivi",
   "feeds": [
    "events"
   ],
   "dimensions": [
    "event_type",
    "cot_sector"
   ],
   "periods": [
    "month",
    "year"
   ],
   "geo_levels": [
    "bassin"
   ],
   "disclosure_threshold": 1,
   "people_counts": [],
   "aggregate_members": "excluded",
   "aggregate_reason_fr": "Données de l'agenda de l'orientation (Région)."
  },
  {
   "code": "ACT_DISTANCE_SHARE",
   "label_fr": "Part des actes délivrés à distance",
   "definition_fr": "Part des actes de service délivrés à distance (téléphone, visioconférence, courriel) parmi tous les actes de la période.",
   "formula": "sum(acts_count where channel_group = 'distance') / sum(acts_count)",
   "unit": "part",
   "value_type": "rate",
   "family": "qualite",
   "feeds": [
    "activity"
   ],
   "dimensions": [
    "network",
    "member",
    "service_level"
   ],
   "periods": [
    "month",
    "year"
   ],
   "geo_levels": [
    "member",
    "bassin"
   ],
   "disclosure_threshold": 5,
   "people_counts": [],
   "aggregate_members": "included",
   "aggregate_reason_fr": "Calculé sur les actes, qui s'additionnent exactement quel que soit le format."
  },
  {
   "code": "VAL_WOMEN_SHARE",
   "label_fr": "Part des femmes parmi les personnes accompagnées",
   "definition_fr": "Part des femmes parmi les personnes accompagnées dont le sexe est connu, par service et par réseau : mesure de l'égalité femmes-hommes et de la mixité promues par la charte.",
   "formula": "count(distinct person_key where sex_code = 'F') / count(distinct person_key where sex_code in ('F','M'))",
   "unit": "part",
   "value_type": "rate",
   "family": "qualite",
   "feeds": [
    "activity"
   ],
   "dimensions": [
    "network",
    "service_level",
    "age_band",
    "public_status"
   ],
   "periods": [
    "month",
    "year"
   ],
   "geo_levels": [
    "member",
    "bassin"
   ],
   "disclosure_threshold": 5,
   "people_counts": [
    "numerator",
    "denominator"
   ],
   "aggregate_members": "excluded",
   "aggregate_reason_fr": "Calculé sur des personnes distinctes, que les agrégats ne permettent pas de dédoublonner."
  },
  {
   "code": "VAL_WOMEN_SHARE_EVENTS",
   "label_fr": "Part des femmes parmi les participants aux événements",
   "definition_fr": "Part des femmes parmi les participants présents aux événements dont le sexe est connu, par secteur professionnel (COT) : mixité professionnelle dans la découverte des métiers.",
   "formula": "count(attended registrations where sex_code = 'F') / count(attended registrations where sex_code in ('F','M'))",
   "unit": "part",
   "value_type": "rate",
   "family": "qualite",
   "feeds": [
    "events",
    "registrations"
   ],
   "dimensions": [
    "cot_sector",
    "event_type"
   ],
   "periods": [
    "month",
    "year"
   ],
   "geo_levels": [
    "bassin"
   ],
   "disclosure_threshold": 5,
   "people_counts": [
    "numerator",
    "denominator"
   ],
   "aggregate_members": "excluded",
   "aggregate_reason_fr": "Données de l'agenda de l'orientation (Région)."
  },
  {
   "code": "VAL_DISABILITY_SHARE",
   "label_fr": "Part des personnes en situation de handicap (RQTH)",
   "definition_fr": "Part des personnes accompagnées bénéficiant d'une reconnaissance de la qualité de travailleur handicapé (RQTH), parmi celles dont la situation est renseignée.",
   "formula": "count(distinct person_key where rqth) / count(distinct person_key where rqth is not null)",
   "unit": "part",
   "value_type": "rate",
   "family": "qualite",
   "feeds": [
    "activity"
   ],
   "dimensions": [
    "network",
    "sex",
    "age_band"
   ],
   "periods": [
    "month",
    "year"
   ],
   "geo_levels": [
    "member",
    "bassin"
   ],
   "disclosure_threshold": 5,
   "people_counts": [
    "numerator",
    "denominator"
   ],
   "aggregate_members": "excluded",
   "aggregate_reason_fr": "Les agrégats ne transmettent pas la RQTH."
  },
  {
   "code": "VAL_TERRITORIAL_COVERAGE",
   "label_fr": "Couverture territoriale (personnes accompagnées pour 1 000 jeunes de 15 à 29 ans)",
   "definition_fr": "Nombre de personnes accompagnées résidant dans le bassin d'emploi, pour 1 000 habitants de 15 à 29 ans du bassin : mesure de l'égal accès au service sur tout le territoire.",
   "formula": "1000 * count(distinct person_key by residence bassin) / ref_bassins.population_15_29",
   "unit": "pour_1000",
   "value_type": "ratio",
   "family": "qualite",
   "feeds": [
    "activity"
   ],
   "dimensions": [],
   "periods": [
    "year"
   ],
   "geo_levels": [
    "bassin"
   ],
   "disclosure_threshold": 5,
   "people_counts": [
    "numerator"
   ],
   "aggregate_members": "excluded",
   "aggregate_reason_fr": "Calculé sur des personnes distinctes par bassin de résidence ; les agrégats ne peuvent pas être dédoublonnés."
  },
  {
   "code": "VAL_DATA_COMPLETENESS",
   "label_fr": "Complétude des données transmises par les membres",
   "definition_fr": "Part des envois mensuels attendus (un fichier par membre actif et par mois) effectivement reçus et chargés dans l'entrepôt.",
   "formula": "count(member-months with a loaded file) / count(expected member-months)",
   "unit": "part",
   "value_type": "rate",
   "family": "qualite",
   "feeds": [
    "ledger"
   ],
   "dimensions": [
    "network",
    "member"
   ],
   "periods": [
    "month",
    "year"
   ],
   "geo_levels": [
    "member",
    "bassin"
   ],
   "disclosure_threshold": 1,
   "people_counts": [],
   "aggregate_members": "included",
   "aggregate_reason_fr": "Tous les membres doivent transmettre chaque mois, quel que soit leur format."
  },
  {
   "code": "VAL_DATA_TIMELINESS",
   "label_fr": "Ponctualité des envois des membres",
   "definition_fr": "Part des fichiers mensuels des membres chargés au plus tard 15 jours après la fin du mois qu'ils décrivent.",
   "formula": "count(member-months loaded within 15 days after month end) / count(member-months loaded)",
   "unit": "part",
   "value_type": "rate",
   "family": "qualite",
   "feeds": [
    "ledger"
   ],
   "dimensions": [
    "network",
    "member"
   ],
   "periods": [
    "month",
    "year"
   ],
   "geo_levels": [
    "member",
    "bassin"
   ],
   "disclosure_threshold": 1,
   "people_counts": [],
   "aggregate_members": "included",
   "aggregate_reason_fr": "Tous les membres doivent transmettre chaque mois, quel que soit leur format."
  },
  {
   "code": "EVT_ATTENDANCE_RATE",
   "label_fr": "Taux de présence aux événements",
   "definition_fr": "Part des inscrits effectivement présents aux événements de la période.",
   "formula": "count(registrations where attended) / count(registrations)",
   "unit": "part",
   "value_type": "rate",
   "family": "qualite",
   "feeds": [
    "events",
    "registrations"
   ],
   "dimensions": [
    "event_type",
    "channel",
    "cot_sector"
   ],
   "periods": [
    "month",
    "year"
   ],
   "geo_levels": [
    "bassin"
   ],
   "disclosure_threshold": 5,
   "people_counts": [
    "numerator",
    "denominator"
   ],
   "aggregate_members": "excluded",
   "aggregate_reason_fr": "Données de l'agenda de l'orientation (Région)."
  },
  {
   "code": "EVT_SATISFACTION_SCORE",
   "label_fr": "Satisfaction des participants (note moyenne sur 5)",
   "definition_fr": "Note moyenne de satisfaction (de 1 à 5) donnée par les participants ayant répondu à l'enquête.",
   "formula": "avg(score) over marts.fct_event_registrations where score is not null",
   "unit": "note",
   "value_type": "mean",
   "family": "qualite",
   "feeds": [
    "events",
    "satisfaction"
   ],
   "dimensions": [
    "event_type",
    "channel",
    "cot_sector"
   ],
   "periods": [
    "month",
    "year"
   ],
   "geo_levels": [
    "bassin"
   ],
   "disclosure_threshold": 5,
   "people_counts": [
    "denominator"
   ],
   "aggregate_members": "excluded",
   "aggregate_reason_fr": "Données de l'agenda de l'orientation (Région)."
  },
  {
   "code": "EVT_RECOMMEND_SHARE",
   "label_fr": "Part des participants qui recommanderaient l'événement",
   "definition_fr": "Part des répondants à l'enquête de satisfaction qui recommanderaient l'événement.",
   "formula": "count(would_recommend) / count(would_recommend is not null)",
   "unit": "part",
   "value_type": "rate",
   "family": "qualite",
   "feeds": [
    "events",
    "satisfaction"
   ],
   "dimensions": [
    "event_type",
    "channel",
    "cot_sector"
   ],
   "periods": [
    "month",
    "year"
   ],
   "geo_levels": [
    "bassin"
   ],
   "disclosure_threshold": 5,
   "people_counts": [
    "numerator",
    "denominator"
   ],
   "aggregate_members": "excluded",
   "aggregate_reason_fr": "Données de l'agenda de l'orientation (Région)."
  },
  {
   "code": "PATH_SEEN_30D",
   "label_fr": "Part des personnes ré-aiguillées vues par le membre destinataire sous 30 jours",
   "definition_fr": "Parmi les ré-aiguillages vers un membre qui transmet ses actes, part des personnes effectivement reçues par ce membre dans les 30 jours suivant le ré-aiguillage.",
   "formula": "count(distinct person_key where seen_within_30d) / count(distinct person_key) over fct_redirections where target_is_observable",
   "unit": "part",
   "value_type": "rate",
   "family": "performance",
   "feeds": [
    "activity"
   ],
   "dimensions": [
    "network",
    "member",
    "target_network"
   ],
   "periods": [
    "month",
    "year"
   ],
   "geo_levels": [
    "member",
    "bassin"
   ],
   "disclosure_threshold": 5,
   "people_counts": [
    "numerator",
    "denominator"
   ],
   "aggregate_members": "excluded",
   "aggregate_reason_fr": "Ni l'envoi ni l'arrivée d'une personne ne sont visibles dans un agrégat : les ré-aiguillages vers un membre en agrégats sont exclus du dénominateur."
  },
  {
   "code": "PATH_SEEN_90D",
   "label_fr": "Part des personnes ré-aiguillées vues par le membre destinataire sous 90 jours",
   "definition_fr": "Parmi les ré-aiguillages vers un membre qui transmet ses actes, part des personnes effectivement reçues par ce membre dans les 90 jours suivant le ré-aiguillage.",
   "formula": "count(distinct person_key where seen_within_90d) / count(distinct person_key) over fct_redirections where target_is_observable",
   "unit": "part",
   "value_type": "rate",
   "family": "performance",
   "feeds": [
    "activity"
   ],
   "dimensions": [
    "network",
    "member",
    "target_network"
   ],
   "periods": [
    "month",
    "year"
   ],
   "geo_levels": [
    "member",
    "bassin"
   ],
   "disclosure_threshold": 5,
   "people_counts": [
    "numerator",
    "denominator"
   ],
   "aggregate_members": "excluded",
   "aggregate_reason_fr": "Ni l'envoi ni l'arrivée d'une personne ne sont visibles dans un agrégat : les ré-aiguillages vers un membre en agrégats sont exclus du dénominateur."
  },
  {
   "code": "PATH_DAYS_TO_ADVICE",
   "label_fr": "Délai médian entre premier contact et premier conseil",
   "definition_fr": "Nombre médian de jours entre le premier contact d'une personne avec un membre du SPRO (quel que soit le service) et son premier entretien de conseil ou d'accompagnement (0 jour quand le premier contact est déjà un conseil), pour les personnes entrées sur la période et conseillées depuis.",
   "formula": "median(datediff(day, first_contact_date, first_advice_date)) over marts.fct_person_paths by month of first contact",
   "unit": "jours",
   "value_type": "median",
   "family": "performance",
   "feeds": [
    "activity"
   ],
   "dimensions": [
    "network",
    "sex",
    "age_band"
   ],
   "periods": [
    "month",
    "year"
   ],
   "geo_levels": [
    "bassin"
   ],
   "disclosure_threshold": 5,
   "people_counts": [
    "denominator"
   ],
   "aggregate_members": "excluded",
   "aggregate_reason_fr": "Le délai se mesure sur le parcours d'une même personne, invisible dans un agrégat."
  },
  {
   "code": "PSAD_CONTACT_RATE",
   "label_fr": "Taux de contact des jeunes repérés",
   "definition_fr": "Part des jeunes repérés par la plateforme avec lesquels un contact a été établi.",
   "formula": "count(journeys with contact_date) / count(journeys)",
   "unit": "part",
   "value_type": "rate",
   "family": "performance",
   "feeds": [
    "rio",
    "psad_followup"
   ],
   "dimensions": [
    "sex",
    "exit_reason"
   ],
   "periods": [
    "campaign",
    "month"
   ],
   "geo_levels": [
    "psad_platform"
   ],
   "disclosure_threshold": 11,
   "people_counts": [
    "numerator",
    "denominator"
   ],
   "aggregate_members": "excluded",
   "aggregate_reason_fr": "Données des PSAD uniquement (listes nominatives pseudonymisées)."
  },
  {
   "code": "PSAD_CONTACT_DELAY",
   "label_fr": "Délai médian de prise de contact",
   "definition_fr": "Nombre médian de jours entre le repérage d'un jeune et le premier contact établi.",
   "formula": "median(datediff(day, identified_date, contact_date)) over journeys with a contact",
   "unit": "jours",
   "value_type": "median",
   "family": "performance",
   "feeds": [
    "rio",
    "psad_followup"
   ],
   "dimensions": [
    "sex"
   ],
   "periods": [
    "campaign",
    "month"
   ],
   "geo_levels": [
    "psad_platform"
   ],
   "disclosure_threshold": 11,
   "people_counts": [
    "denominator"
   ],
   "aggregate_members": "excluded",
   "aggregate_reason_fr": "Données des PSAD uniquement (listes nominatives pseudonymisées)."
  },
  {
   "code": "PSAD_SOLUTION_RATE",
   "label_fr": "Taux de solution des jeunes repérés",
   "definition_fr": "Part des jeunes repérés pour lesquels une solution a été trouvée (retour en formation initiale, apprentissage, formation professionnelle, emploi, service civique, accompagnement Mission locale), détaillée par type de solution.",
   "formula": "count(journeys with a solution outcome [of the given type]) / count(journeys)",
   "unit": "part",
   "value_type": "rate",
   "family": "performance",
   "feeds": [
    "rio",
    "psad_followup"
   ],
   "dimensions": [
    "outcome",
    "sex"
   ],
   "periods": [
    "campaign",
    "month"
   ],
   "geo_levels": [
    "psad_platform"
   ],
   "disclosure_threshold": 11,
   "people_counts": [
    "numerator",
    "denominator"
   ],
   "aggregate_members": "excluded",
   "aggregate_reason_fr": "Données des PSAD uniquement (listes nominatives pseudonymisées)."
  },
  {
   "code": "PSAD_REENGAGED_3M",
   "label_fr": "Raccrochage durable à 3 mois",
   "definition_fr": "Parmi les jeunes ayant trouvé une solution et dont le suivi à 3 mois est connu, part de ceux qui sont toujours en solution 3 mois plus tard.",
   "formula": "count(followup_3m outcome is a solution) / count(solution and followup_3m known)",
   "unit": "part",
   "value_type": "rate",
   "family": "performance",
   "feeds": [
    "psad_followup"
   ],
   "dimensions": [
    "outcome"
   ],
   "periods": [
    "campaign"
   ],
   "geo_levels": [
    "psad_platform"
   ],
   "disclosure_threshold": 11,
   "people_counts": [
    "numerator",
    "denominator"
   ],
   "aggregate_members": "excluded",
   "aggregate_reason_fr": "Données des PSAD uniquement (listes nominatives pseudonymisées)."
  },
  {
   "code": "PSAD_REENGAGED_6M",
   "label_fr": "Raccrochage durable à 6 mois",
   "definition_fr": "Parmi les jeunes ayant trouvé une solution et dont le suivi à 6 mois est connu, part de ceux qui sont toujours en solution 6 mois plus tard.",
   "formula": "count(followup_6m outcome is a solution) / count(solution and followup_6m known)",
   "unit": "part",
   "value_type": "rate",
   "family": "performance",
   "feeds": [
    "psad_followup"
   ],
   "dimensions": [
    "outcome"
   ],
   "periods": [
    "campaign"
   ],
   "geo_levels": [
    "psad_platform"
   ],
   "disclosure_threshold": 11,
   "people_counts": [
    "numerator",
    "denominator"
   ],
   "aggregate_members": "excluded",
   "aggregate_reason_fr": "Données des PSAD uniquement (listes nominatives pseudonymisées)."
  },
  {
   "code": "PSAD_SEEN_BY_MEMBER",
   "label_fr": "Part des jeunes repérés vus ensuite par un membre du SPRO",
   "definition_fr": "Part des jeunes repérés par la plateforme qui ont ensuite bénéficié d'au moins un service d'un membre du SPRO (Mission locale, CIO…) après leur repérage.",
   "formula": "count(journeys with an act of the same person_key on or after identified_date) / count(journeys)",
   "unit": "part",
   "value_type": "rate",
   "family": "performance",
   "feeds": [
    "rio",
    "psad_followup",
    "activity"
   ],
   "dimensions": [
    "sex"
   ],
   "periods": [
    "campaign"
   ],
   "geo_levels": [
    "psad_platform"
   ],
   "disclosure_threshold": 11,
   "people_counts": [
    "numerator",
    "denominator"
   ],
   "aggregate_members": "excluded",
   "aggregate_reason_fr": "Le suivi d'un même jeune suppose un identifiant de personne : les services des membres en agrégats ne peuvent pas être rattachés au jeune repéré."
  }
 ]
}
{% endraw %}{%- endset -%}
{{ return(fromjson(catalogue_json)) }}
{%- endmacro %}
