"""The run-time: agents (the loop that calls a backend and runs its tools, with the core's retries
and timeouts), their assembly from a config, coordination, teams and the Python API."""
