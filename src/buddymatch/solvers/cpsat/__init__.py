"""CP-SAT backend: the only package of buddymatch that imports ortools."""
