"""Writes for participation: registration (``registration``), document downloads
(``downloads``) and the blacklist copy (``blacklist``)."""
