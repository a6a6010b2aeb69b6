"""The audit trail as people read it: `/csp audit` and its CSV."""
