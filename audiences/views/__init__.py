"""Pages of the audiences app, one module per area."""
