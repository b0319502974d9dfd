"""Grant engines: turn grant intents into real access in the engines that hold the data."""
