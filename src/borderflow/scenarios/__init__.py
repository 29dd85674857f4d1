"""Built-in scenarios (package data), loaded by name: `borderflow.load("two-country")`."""
