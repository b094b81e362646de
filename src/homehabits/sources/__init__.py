"""Sources: read a home's history (EventFrame) and context (HomeContext)."""
