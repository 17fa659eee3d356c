"""A throw-away vertical for tests/test_throwaway_vertical.py: one model, one viewset and a
vertical.py, nothing else. It is installed only inside that test (override_settings), which
proves that a vertical plugs in through its declaration alone (docs/adding-a-vertical.md)."""
