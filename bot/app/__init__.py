"""The wiring: settings, the runtime, the bolt app, the server, the CLI, logs and metrics."""
