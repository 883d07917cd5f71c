"""Storage: the database models, sessions, migrations and data access."""
