"""Projects, their members, and the environments they work in."""
