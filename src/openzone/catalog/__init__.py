"""Assets, their revisions, and listings in the published catalog."""
