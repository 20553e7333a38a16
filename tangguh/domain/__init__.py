"""Pure procurement rules: no Django, no I/O. Everything here takes and returns plain values."""
