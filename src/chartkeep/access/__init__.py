"""Access decisions: ACLs now; roles, CLPs and clinical scope build on these."""
