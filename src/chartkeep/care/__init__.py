"""Who may see a chart: care teams, chart ACLs, record labels and grants, break-the-glass, portal access, invitations, the provider directory."""
