"""The project's own library: one way for each cross-cutting concern."""
