"""Who may do what: grants, `/csp roles`, its views."""
