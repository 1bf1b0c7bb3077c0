"""Config engine: grammar (words), reader (read pass), walk (walk pass), errors."""
