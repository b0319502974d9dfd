"""The data portal: server-rendered pages that run the same operations as the API."""
