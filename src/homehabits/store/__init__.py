"""The homehabits database: engine and pragmas, tables, migrations, repository functions."""
