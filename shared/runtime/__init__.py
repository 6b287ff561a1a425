"""A service as a process: settings, the runtime, background jobs, serving, logs and metrics."""
