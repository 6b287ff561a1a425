"""The pure vocabulary of every layer: domain errors, money, the one clock, defaults, quiet hours."""
