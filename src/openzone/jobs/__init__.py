"""Background jobs kept in the metadata database and run by workers after commit."""
