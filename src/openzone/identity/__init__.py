"""Users and their access keys: who is asking."""
