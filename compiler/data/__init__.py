"""Reading and binding a model's data: the sandbox, CSV files, dates, set labels, size limits."""
