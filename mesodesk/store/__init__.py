"""Tables, the engine with its SQLite pragmas, transactions and migrations."""
