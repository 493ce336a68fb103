"""Use cases, one module per aggregate. Each owns its transaction and returns plain DTOs."""
