"""PostgreSQL for each service: its database, the pool, migrations, row helpers, batched statements."""
