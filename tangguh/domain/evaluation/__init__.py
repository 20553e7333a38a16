"""Evaluation rules (Perpres 16/2018 Ps 26, 33, 39, 42, 51, 67): pure functions over
``Decimal``. Services feed them the opened ``penawaran.json`` figures and the Pokja's
checklists; they return what the rules decide and why."""
