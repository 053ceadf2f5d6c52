"""Function tools: the decorator, JSON schemas, docstrings and the executor that runs them."""
