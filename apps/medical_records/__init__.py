"""Medical records."""
