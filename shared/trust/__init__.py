"""Who may see what: personal data sealed at rest, and who owns which customer, in every service."""
