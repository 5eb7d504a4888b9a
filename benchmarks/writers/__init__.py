"""Per-app writers: each layer turns the simulated journeys into one app's rows."""
