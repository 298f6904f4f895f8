"""The domain layer: the SLO model and the error-budget math.

Everything here is a pure function of numbers and an evaluation time ``T``:
no asyncio, no logging, no I/O and no rounding. The edges (config loader,
PromQL client) build these objects; the wiring (daemon, CLI) displays them.
"""
