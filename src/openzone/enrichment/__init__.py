"""Business names and descriptions for catalog assets, generated offline."""
