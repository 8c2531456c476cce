"""The domain's Norwegian texts, one module per area."""
