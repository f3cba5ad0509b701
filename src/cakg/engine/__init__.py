"""Query engines behind one interface; `open_engine(settings)` returns the configured one."""
