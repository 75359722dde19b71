"""cadencia workflows: Hera definitions, configuration, compile, lint, local engine and CLI."""
