"""Texts of «Hvem har sett avtalen?»: who has read an agreement's content, from the access log."""

#: Typed as the whole message (any case; a closing "?" is allowed).
WORDS = ("hvem har sett avtalen", "hvem har sett avtalen?", "hvem har sett", "hvem har sett?",
         "hvem har lest avtalen", "hvem har lest avtalen?", "tilgangslogg")
BUTTON = "Hvem har sett avtalen?"
TITLE = "Hvem har sett avtalen?"
INTRO = ("Hver gang innholdet i avtalen leses, blir det registrert: hvem, når, hvilken del og hvordan. "
         "Det som står i avtalen, blir aldri registrert. Det du selv har lest, er ikke med her.")
NONE = "Ingen andre enn deg har sett innholdet i avtalen."
ENTRY = "{who}: {parts} ({path}), sist {when}"
ENTRY_TIMES = "{who}: {parts} ({path}), {count} ganger, sist {when}"
PRIVATE_INCLUDED = "{parts}, med Ledelsesutvikling"
MORE = "… og {count} til. Personvernombudet kan se hele loggen."
ARCHIVE = "arkivet"
INNSYN = "innsyn ved {handler}"
INNSYN_UNNAMED = "innsyn"
PERSONAL_DATA = "{name} (egne opplysninger)"
UNKNOWN = "ukjent"
PARTS = {"preparation": "forberedelsen", "agreement": "avtalen", "reflections": "refleksjonene",
         "followup": "oppfølgingen"}
PATHS = {"card": "i Teams", "pdf": "PDF-kopi", "export": "arkiveksport", "innsyn": "innsynskopi",
         "personal-data": "egne opplysninger"}
NO_AGREEMENTS = "Du er ikke med i noen lederavtale i {year}."
NO_ACCESS = "Du kan bare se hvem som har sett avtaler du selv er med i. Her er menyen din."
