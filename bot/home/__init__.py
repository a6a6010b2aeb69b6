"""App Home, help and the language setting."""
