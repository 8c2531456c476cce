"""Adaptive Cards (version 1.5) the dialogs send."""
