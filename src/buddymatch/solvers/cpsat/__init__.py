"""CP-SAT backend: the engine's stages, infeasibility cores and the integer
master over decomposition columns.  (Only the ``solvers`` package imports
ortools: CP-SAT here, GLOP in ``solvers.decomposition``.)"""
