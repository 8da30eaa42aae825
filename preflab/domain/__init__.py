"""Pure code, no I/O: label configs, task shapes, export rows, roles."""
