"""Texts around the reading sections (the sections themselves come from the template)."""

NEXT = "Neste: {heading}"
OVERVIEW = "Om lederavtalen"
OVERVIEW_INTRO = "Velg hva du vil lese:"
